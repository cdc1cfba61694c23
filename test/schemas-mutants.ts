/**
 * Mutants of official examples, each breaking one FHIR rule, with the issue a validator must report.
 * Shared by the mutation tests and the validation benchmark (which counts how many of them the
 * official HL7 schemas let through).
 */
import type { Element, FhirModel, FhirVersionId } from '../src/ir/types';

type Json = Record<string, unknown>;

export interface BaseExamples {
  Patient: Json;
  Observation: Json;
}

export interface Mutant {
  name: string;
  /** The resource to validate. */
  json: Json;
  /** When set, validated as this type rather than as the resourceType it names. */
  as?: string;
  expected: { code: string; path: string };
  /** Why the mutation breaks this version's specification, checked against the model first. */
  real: string | undefined;
}

interface Recipe {
  name: string;
  base: keyof BaseExamples | 'Bundle' | 'Parameters';
  mutate: (json: Json) => void;
  as?: string;
  expected: { code: string; path: string };
  /** The versions whose JSON has the rule; every version when absent. */
  versions?: FhirVersionId[];
  /** Returns undefined when the model confirms the rule, or what it found instead. */
  real: (model: FhirModel) => string | undefined;
}

const clone = <T>(value: T): T => structuredClone(value);

/** The resource of the first `entry` (Bundle) or `parameter` (Parameters). */
function entryResource(json: Json, list: 'entry' | 'parameter'): Json {
  const first = (json[list] as Json[])[0] as Json;
  return first.resource as Json;
}

/** Valid resources to mutate: the Patient and Observation examples, and containers built around them. */
function base(examples: BaseExamples, name: Recipe['base']): Json {
  if (name === 'Bundle') {
    return { resourceType: 'Bundle', type: 'collection', entry: [{ resource: clone(examples.Patient) }] };
  }
  if (name === 'Parameters') {
    return {
      resourceType: 'Parameters',
      parameter: [{ name: 'subject', resource: clone(examples.Patient) }],
    };
  }
  return clone(examples[name]);
}

export function buildMutants(examples: BaseExamples, model: FhirModel): Mutant[] {
  const recipes = RECIPES.filter((recipe) => recipe.versions?.includes(model.version.id) ?? true);
  return recipes.map((recipe) => {
    const json = base(examples, recipe.base);
    recipe.mutate(json);
    const mutant: Mutant = { name: recipe.name, json, expected: recipe.expected, real: recipe.real(model) };
    if (recipe.as !== undefined) mutant.as = recipe.as;
    return mutant;
  });
}

/** The bases themselves, which must be valid for the mutants to mean anything. */
export function baseResources(examples: BaseExamples): Json[] {
  return (['Patient', 'Observation', 'Bundle', 'Parameters'] as const).map((name) => base(examples, name));
}

/** The element at a path such as `Bundle.entry.resource`, following data types and backbones. */
function element(model: FhirModel, path: string): Element | undefined {
  const [typeName, ...rest] = path.split('.');
  const owners = [...model.resources, ...model.complexTypes];
  const all: { name: string; elements: Element[] }[] = [
    ...owners,
    ...owners.flatMap((type) => type.backbones),
  ];
  let owner = all.find((type) => type.name === typeName);
  let found: Element | undefined;
  for (const name of rest) {
    found = owner?.elements.find((candidate) => candidate.name === name);
    if (found === undefined) return undefined;
    const next = found.type.name;
    owner = all.find((type) => type.name === next);
  }
  return found;
}

const requires = (path: string, check: (element: Element) => boolean, rule: string) => (model: FhirModel) => {
  const found = element(model, path);
  if (found === undefined) return `${path} does not exist`;
  return check(found) ? undefined : `${path} is not ${rule}`;
};

const isRequired = (path: string) => requires(path, (e) => e.min >= 1, 'required');
const isSingle = (path: string) => requires(path, (e) => !e.isArray, 'a single value');
const isArray = (path: string) => requires(path, (e) => e.isArray, 'an array');
const isPrimitive = (path: string, type: string) =>
  requires(path, (e) => e.type.kind === 'primitive' && e.type.name === type, `a ${type}`);
const bindsRequired = (path: string, code: string) =>
  requires(
    path,
    (e) =>
      e.binding?.strength === 'required' && e.binding.codes !== undefined && !e.binding.codes.includes(code),
    `bound (required) to codes excluding ${code}`,
  );
const lacks = (path: string) => (model: FhirModel) =>
  element(model, path) === undefined ? undefined : `${path} exists`;
const isResourceTyped = (path: string) => requires(path, (e) => e.type.kind === 'resource', 'Resource-typed');
const hasRegex = (type: string) => (model: FhirModel) =>
  model.primitives.find((primitive) => primitive.name === type)?.regex === undefined
    ? `${type} has no regex`
    : undefined;
const hasComments = (model: FhirModel) =>
  model.json.commentsProperty === 'fhir_comments' ? undefined : 'its JSON has no fhir_comments';
const lacksComments = (model: FhirModel) =>
  model.json.commentsProperty === undefined ? lacks('Patient.fhir_comments')(model) : 'its JSON has comments';

const RECIPES: Recipe[] = [
  {
    name: 'required element removed',
    base: 'Observation',
    mutate: (json) => delete json.status,
    expected: { code: 'required', path: 'Observation.status' },
    real: isRequired('Observation.status'),
  },
  {
    name: 'required complex element removed',
    base: 'Observation',
    mutate: (json) => delete json.code,
    expected: { code: 'required', path: 'Observation.code' },
    real: isRequired('Observation.code'),
  },
  {
    name: 'wrong JSON type (string for boolean)',
    base: 'Patient',
    mutate: (json) => {
      json.active = 'true';
    },
    expected: { code: 'structure', path: 'Patient.active' },
    real: isPrimitive('Patient.active', 'boolean'),
  },
  {
    name: 'wrong JSON type (number for string)',
    base: 'Patient',
    mutate: (json) => {
      json.id = 12;
    },
    expected: { code: 'structure', path: 'Patient.id' },
    real: requires('Patient.id', (e) => e.type.kind === 'primitive', 'a primitive'),
  },
  {
    name: 'bad date format',
    base: 'Patient',
    mutate: (json) => {
      json.birthDate = '1974-13-45';
    },
    expected: { code: 'value', path: 'Patient.birthDate' },
    real: isPrimitive('Patient.birthDate', 'date'),
  },
  {
    // "Always includes a time zone" (https://hl7.org/fhir/DSTU2/datatypes.html#instant); DSTU2 and STU3
    // state it in their text only (ir/version-facts.ts), R4 in its definition's regex.
    name: 'instant without a time zone',
    base: 'Observation',
    mutate: (json) => {
      json.issued = '2015-02-07T13:28:17';
    },
    expected: { code: 'value', path: 'Observation.issued' },
    real: (model) => isPrimitive('Observation.issued', 'instant')(model) ?? hasRegex('instant')(model),
  },
  {
    name: 'integer out of range',
    base: 'Patient',
    mutate: (json) => {
      delete json.multipleBirthBoolean;
      json.multipleBirthInteger = 3_000_000_000;
    },
    expected: { code: 'value', path: 'Patient.multipleBirthInteger' },
    real: isPrimitive('Patient.multipleBirthInteger', 'integer'),
  },
  {
    name: 'code outside a required binding',
    base: 'Patient',
    mutate: (json) => {
      json.gender = 'robot';
    },
    expected: { code: 'code-invalid', path: 'Patient.gender' },
    real: bindsRequired('Patient.gender', 'robot'),
  },
  {
    name: 'unknown property at top level',
    base: 'Patient',
    mutate: (json) => {
      json.nickname = 'Pete';
    },
    expected: { code: 'structure', path: 'Patient.nickname' },
    real: lacks('Patient.nickname'),
  },
  {
    name: 'unknown property in a data type',
    base: 'Patient',
    mutate: (json) => {
      (json.name as Json[])[0] = { ...(json.name as Json[])[0], nickname: 'Pete' };
    },
    expected: { code: 'structure', path: 'Patient.name[0].nickname' },
    real: lacks('HumanName.nickname'),
  },
  {
    name: 'unknown property in a backbone element',
    base: 'Patient',
    mutate: (json) => {
      json.contact = [{ name: { family: 'Du Marché' }, nickname: 'x' }];
    },
    expected: { code: 'structure', path: 'Patient.contact[0].nickname' },
    real: isArray('Patient.contact'),
  },
  {
    name: 'two choice variants',
    base: 'Observation',
    mutate: (json) => {
      json.valueString = 'high';
    },
    expected: { code: 'structure', path: 'Observation.value' },
    real: (model) =>
      model.resources
        .find((type) => type.name === 'Observation')
        ?.choices.some((group) => group.name === 'value' && group.variants.includes('valueString'))
        ? undefined
        : 'Observation.value[x] has no valueString',
  },
  {
    name: 'array where one value is allowed',
    base: 'Patient',
    mutate: (json) => {
      json.gender = ['male'];
    },
    expected: { code: 'structure', path: 'Patient.gender' },
    real: isSingle('Patient.gender'),
  },
  {
    name: 'single value where an array is required',
    base: 'Patient',
    mutate: (json) => {
      json.name = (json.name as Json[])[0];
    },
    expected: { code: 'structure', path: 'Patient.name' },
    real: isArray('Patient.name'),
  },
  {
    name: 'empty string',
    base: 'Patient',
    mutate: (json) => {
      json.name = [{ given: [''] }];
    },
    expected: { code: 'value', path: 'Patient.name[0].given[0]' },
    real: isArray('HumanName.given'),
  },
  {
    name: 'empty array',
    base: 'Patient',
    mutate: (json) => {
      json.name = [];
    },
    expected: { code: 'structure', path: 'Patient.name' },
    real: isArray('Patient.name'),
  },
  {
    name: 'empty object',
    base: 'Patient',
    mutate: (json) => {
      json.name = [{}];
    },
    expected: { code: 'invariant', path: 'Patient.name[0]' },
    real: isArray('Patient.name'),
  },
  {
    name: 'primitive extension that is not an object',
    base: 'Patient',
    mutate: (json) => {
      json._birthDate = '1974';
    },
    expected: { code: 'structure', path: 'Patient.birthDate' },
    real: isPrimitive('Patient.birthDate', 'date'),
  },
  {
    name: 'primitive extension with an unknown property',
    base: 'Patient',
    mutate: (json) => {
      json._gender = { url: 'http://example.org/x' };
    },
    expected: { code: 'structure', path: 'Patient.gender.url' },
    real: requires('Patient.gender', (e) => e.type.kind === 'primitive', 'a primitive'),
  },
  {
    name: 'primitive extension array not aligned',
    base: 'Patient',
    mutate: (json) => {
      json.name = [{ given: ['Peter', 'James'], _given: [{ id: 'g1' }] }];
    },
    expected: { code: 'structure', path: 'Patient.name[0].given' },
    real: isArray('HumanName.given'),
  },
  {
    name: 'fhir_comments item that is not a string',
    base: 'Patient',
    versions: ['dstu2'],
    mutate: (json) => {
      (json.name as Json[])[0] = { fhir_comments: [' a name ', 12], ...(json.name as Json[])[0] };
    },
    expected: { code: 'structure', path: 'Patient.name[0].fhir_comments[1]' },
    real: hasComments,
  },
  {
    name: 'fhir_comments that is not an array',
    base: 'Patient',
    versions: ['dstu2'],
    mutate: (json) => {
      json.fhir_comments = ' a patient ';
    },
    expected: { code: 'structure', path: 'Patient.fhir_comments' },
    real: hasComments,
  },
  {
    name: 'fhir_comments in a version whose JSON has none',
    base: 'Patient',
    versions: ['stu3', 'r4'],
    mutate: (json) => {
      json.fhir_comments = [' a patient '];
    },
    expected: { code: 'structure', path: 'Patient.fhir_comments' },
    real: lacksComments,
  },
  {
    name: 'fhir_comments in a primitive extension object, in a version whose JSON has none',
    base: 'Patient',
    versions: ['stu3', 'r4'],
    mutate: (json) => {
      json._birthDate = { fhir_comments: [' born at home '], ...(json._birthDate as Json) };
    },
    expected: { code: 'structure', path: 'Patient.birthDate.fhir_comments' },
    real: lacksComments,
  },
  {
    name: 'unknown resourceType',
    base: 'Patient',
    mutate: (json) => {
      json.resourceType = 'Patientt';
    },
    expected: { code: 'not-supported', path: 'Resource' },
    real: (model) =>
      model.resources.some((type) => type.name === 'Patientt') ? 'Patientt exists' : undefined,
  },
  {
    name: 'wrong resourceType for the expected type',
    base: 'Observation',
    as: 'Patient',
    mutate: () => {},
    expected: { code: 'structure', path: 'Patient.resourceType' },
    real: (model) => (model.resources.some((type) => type.name === 'Patient') ? undefined : 'no Patient'),
  },
  {
    name: 'invalid contained resource',
    base: 'Patient',
    mutate: (json) => {
      json.contained = [{ resourceType: 'Organization', id: 'org1', nickname: 'x' }];
    },
    expected: { code: 'structure', path: 'Patient.contained[0].nickname' },
    real: isResourceTyped('Patient.contained'),
  },
  {
    name: 'contained resource of unknown type',
    base: 'Patient',
    mutate: (json) => {
      json.contained = [{ resourceType: 'Organisation', id: 'org1' }];
    },
    expected: { code: 'not-supported', path: 'Patient.contained[0]' },
    real: isResourceTyped('Patient.contained'),
  },
  {
    name: 'invalid Bundle entry',
    base: 'Bundle',
    mutate: (json) => {
      entryResource(json, 'entry').gender = 'robot';
    },
    expected: { code: 'code-invalid', path: 'Bundle.entry[0].resource.gender' },
    real: isResourceTyped('Bundle.entry.resource'),
  },
  {
    name: 'Bundle entry without resourceType',
    base: 'Bundle',
    mutate: (json) => {
      delete entryResource(json, 'entry').resourceType;
    },
    expected: { code: 'required', path: 'Bundle.entry[0].resource' },
    real: isResourceTyped('Bundle.entry.resource'),
  },
  {
    name: 'invalid Parameters resource',
    base: 'Parameters',
    mutate: (json) => {
      entryResource(json, 'parameter').birthDate = 'yesterday';
    },
    expected: { code: 'value', path: 'Parameters.parameter[0].resource.birthDate' },
    real: isResourceTyped('Parameters.parameter.resource'),
  },
];
