import assert from 'node:assert/strict';
import { buildSchemaDocument } from '../src/emit/schemas/build';
import { anchor } from '../src/emit/schemas/primitives';
import { compileValidator } from '../src/emit/schemas/runtime/compile';
import type { DatatypesFactory, ResourceFactory } from '../src/emit/schemas/runtime/modules';
import { standaloneValidator } from '../src/emit/schemas/runtime/standalone';
import type { FhirValidator } from '../src/emit/schemas/runtime/validator';
import { validatorFiles } from '../src/emit/schemas/validator-files';
import {
  asCanonical,
  asPath,
  type BackboneType,
  type Element,
  type FhirModel,
  type PrimitiveType,
  type ResourceType,
  type TypeRef,
} from '../src/ir/types';

/** A tiny handmade model: just enough types to exercise each rule the emitter derives from the IR. */
function primitive(
  name: string,
  jsonType: PrimitiveType['jsonType'],
  extra: Partial<PrimitiveType> = {},
): PrimitiveType {
  return { kind: 'primitive', name, url: asCanonical(`urn:${name}`), jsonType, description: '', ...extra };
}

function element(path: string, type: TypeRef, extra: Partial<Element> = {}): Element {
  const name = path.split('.').pop() as string;
  return {
    name,
    path: asPath(path),
    min: 0,
    max: 1,
    isArray: false,
    type,
    isModifier: false,
    isSummary: false,
    short: '',
    ...extra,
  };
}

const prim = (name: string): TypeRef => ({ kind: 'primitive', name });
const complex = (name: string): TypeRef => ({ kind: 'complex', name });

function resource(name: string, elements: Element[], extra: Partial<ResourceType> = {}): ResourceType {
  return {
    kind: 'resource',
    name,
    url: asCanonical(`urn:${name}`),
    description: '',
    abstract: false,
    base: 'DomainResource',
    elements,
    choices: [],
    backbones: [],
    searchParameters: [],
    ...extra,
  };
}

function backbone(name: string, path: string, owner: string, elements: Element[]): BackboneType {
  return { kind: 'backbone', name, path: asPath(path), owner, description: '', elements, choices: [] };
}

function tinyModel(): FhirModel {
  const common = [
    element('X.id', prim('string')),
    element('X.contained', { kind: 'resource', name: 'Resource' }, { max: '*', isArray: true }),
  ];
  const contact = backbone('PatientContact', 'Patient.contact', 'Patient', [
    element('Patient.contact.gender', prim('code')),
    element(
      'Patient.contact.contact',
      { kind: 'backbone', name: 'Unresolved' },
      {
        max: '*',
        isArray: true,
        contentReference: asPath('#Patient.contact'),
      },
    ),
  ]);
  const patient = resource(
    'Patient',
    [
      ...common,
      element('Patient.gender', prim('code'), {
        min: 1,
        binding: { strength: 'required', valueSet: asCanonical('urn:vs:gender'), codes: ['male', 'female'] },
      }),
      element('Patient.birthDate', prim('date')),
      element('Patient.given', prim('string'), { max: '*', isArray: true }),
      element('Patient.name', complex('HumanName'), { min: 1, max: '*', isArray: true }),
      element('Patient.deceasedBoolean', prim('boolean'), {
        min: 1,
        choice: { group: 'deceased', path: asPath('Patient.deceased[x]') },
      }),
      element('Patient.deceasedDate', prim('date'), {
        min: 1,
        choice: { group: 'deceased', path: asPath('Patient.deceased[x]') },
      }),
      element('Patient.count', prim('positiveInt')),
      element('Patient.removed', prim('string'), { max: 0 }),
      element('Patient.contact', { kind: 'backbone', name: 'PatientContact' }, { max: '*', isArray: true }),
      element('Patient.link', { kind: 'resource', name: 'DomainResource' }),
    ],
    {
      choices: [
        {
          name: 'deceased',
          path: asPath('Patient.deceased[x]'),
          min: 1,
          variants: ['deceasedBoolean', 'deceasedDate'],
        },
      ],
      backbones: [contact],
    },
  );
  return {
    version: { id: 'r4', fhirVersion: '9.9.9', label: 'TINY', packages: ['tiny@1'] },
    json: {},
    constraints: [],
    primitives: [
      primitive('string', 'string', { regex: '[ \\r\\n\\t\\S]+' }),
      primitive('code', 'string', { regex: '[^\\s]+(\\s[^\\s]+)*' }),
      primitive('date', 'string', { regex: '[0-9]{4}(-[0-9]{2})?' }),
      primitive('boolean', 'boolean'),
      primitive('positiveInt', 'integer', { minValue: 1, maxValue: 10 }),
    ],
    complexTypes: [
      {
        kind: 'complex-type',
        name: 'Element',
        url: asCanonical('urn:Element'),
        description: '',
        abstract: false,
        elements: [element('Element.id', prim('string'))],
        choices: [],
        backbones: [],
      },
      {
        kind: 'complex-type',
        name: 'HumanName',
        url: asCanonical('urn:HumanName'),
        description: '',
        abstract: false,
        elements: [element('HumanName.family', prim('string'))],
        choices: [],
        backbones: [],
      },
    ],
    resources: [
      resource('Resource', [element('Resource.id', prim('string'))], { abstract: true, base: undefined }),
      resource('DomainResource', common, { abstract: true, base: 'Resource' }),
      patient,
      resource('Basic', [...common, element('Basic.code', prim('code'))]),
      resource('Binary', [element('Binary.id', prim('string'))], { base: 'Resource' }),
    ],
    patientCompartment: { source: 'reference-parameters', members: [] },
    valueSets: [],
    codeHierarchies: [],
  };
}

const valid = {
  resourceType: 'Patient',
  gender: 'male',
  name: [{ family: 'Chalmers' }],
  deceasedBoolean: false,
};

/** The parts of an emitted object schema the tests look at. */
interface ObjectSchema {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  fhirRequired: string[];
  fhirAligned: string[];
  fhirChoices: { variants: string[] }[];
}

describe('schema emitter: rules derived from the IR', () => {
  const document = buildSchemaDocument(tinyModel());
  const patient = document.definitions.Patient as unknown as ObjectSchema;
  const contactSchema = document.definitions.PatientContact as unknown as ObjectSchema;

  const cases: { given: string; want: () => void }[] = [
    {
      given: 'a concrete resource',
      want: () => assert.deepEqual(patient.properties.resourceType, { const: 'Patient' }),
    },
    {
      given: 'abstract resources',
      want: () => assert.equal(document.definitions.DomainResource, undefined),
    },
    {
      given: 'a required complex element and a required primitive',
      want: () => {
        assert.deepEqual(patient.required, ['resourceType', 'name']);
        assert.deepEqual(patient.fhirRequired, ['gender']);
      },
    },
    {
      given: 'an array element',
      want: () =>
        assert.deepEqual(patient.properties.name, {
          type: 'array',
          minItems: 1,
          items: { $ref: '#/definitions/HumanName' },
        }),
    },
    {
      given: 'a primitive array',
      want: () => {
        assert.deepEqual(patient.properties.given?.items, { $ref: '#/definitions/string-or-null' });
        assert.deepEqual(patient.properties._given?.items, { $ref: '#/definitions/Element-or-null' });
        assert.deepEqual(patient.fhirAligned, ['given']);
      },
    },
    {
      given: 'a single primitive',
      want: () => assert.deepEqual(patient.properties._birthDate, { $ref: '#/definitions/Element' }),
    },
    {
      given: 'a required binding',
      want: () =>
        assert.deepEqual(patient.properties.gender, {
          fhirType: 'code',
          type: 'string',
          enum: ['male', 'female'],
          fhirValueSet: 'urn:vs:gender',
        }),
    },
    {
      given: 'a choice group with min 1',
      want: () => {
        assert.deepEqual(patient.fhirChoices[0]?.variants, ['deceasedBoolean', 'deceasedDate']);
        assert.ok(!patient.required.includes('deceasedBoolean'));
        assert.ok(!patient.fhirRequired.includes('deceasedBoolean'));
      },
    },
    {
      given: 'an element with max 0',
      want: () => assert.equal(patient.properties.removed, undefined),
    },
    {
      given: 'a contentReference',
      want: () =>
        assert.deepEqual(contactSchema.properties.contact?.items, {
          $ref: '#/definitions/PatientContact',
        }),
    },
    {
      given: 'Resource-typed elements',
      want: () => {
        assert.deepEqual(patient.properties.contained?.items, { fhirResource: 'Resource' });
        assert.deepEqual(patient.properties.link, { fhirResource: 'DomainResource' });
      },
    },
    {
      given: 'primitives',
      want: () => {
        assert.deepEqual(document.definitions.positiveInt, {
          fhirType: 'positiveInt',
          type: 'integer',
          minimum: 1,
          maximum: 10,
        });
        assert.deepEqual(document.definitions['date-or-null']?.type, ['string', 'null']);
        assert.equal(document.definitions.date?.pattern, '^(?:[0-9]{4}(?:-[0-9]{2})?)$');
      },
    },
    {
      given: 'data types and backbones',
      want: () => {
        const name = document.definitions.HumanName as Record<string, unknown>;
        assert.equal(name.additionalProperties, false);
        assert.equal(name.minProperties, 1);
      },
    },
    {
      given: 'a model without OperationOutcome.issue.expression',
      want: () => assert.equal(document.fhirgen.issueLocation, 'expression'),
    },
  ];
  for (const { given, want } of cases) it(given, want);

  it('anchors regexes and gives \\s its XML Schema meaning', () => {
    assert.equal(anchor('\\S+'), '^(?:[^ \\t\\n\\r]+)$');
    assert.equal(anchor('(a|b(c))+\\(x\\)[(]'), '^(?:(?:a|b(?:c))+\\(x\\)[(])$');
    assert.equal(anchor('(a)\\1'), '^(?:(a)\\1)$');
    assert.ok(new RegExp(anchor('[ \\r\\n\\t\\S]+'), 'u').test('a\u00a0b'));
    assert.ok(!new RegExp(anchor('[^\\s]+'), 'u').test('a b'));
    assert.ok(new RegExp(anchor('[^\\s]+'), 'u').test('a\u00a0b'));
  });
});

/**
 * The tiny model's validators as the generated folder holds them: the emitted modules, evaluated in
 * memory (CommonJS, requiring only ajv's runtime), behind the runtime that loads them.
 */
function standaloneFromEmitted(model: FhirModel): FhirValidator {
  const document = buildSchemaDocument(model);
  const files = validatorFiles(model, document);
  const load = (name: string) => () => {
    const text = files.get(`validators/${name}.js`);
    assert.ok(text !== undefined, name);
    const module = { exports: {} as unknown };
    new Function('module', 'require', text)(module, require);
    return module.exports;
  };
  const resources = Object.entries(document.fhirgen.resources).filter(([, info]) => !info.abstract);
  return standaloneValidator({
    meta: document.fhirgen,
    datatypes: load('datatypes') as () => DatatypesFactory,
    resources: Object.fromEntries(resources.map(([name]) => [name, load(name) as () => ResourceFactory])),
  });
}

/** Table of the runtime tests: a change to the valid Patient and the issues it must give. */
const RUNTIME_CASES: { given: string; json: Record<string, unknown>; want: string[] }[] = [
  {
    given: 'a required primitive present only as _x',
    json: { ...valid, gender: undefined, _gender: { id: 'g' } },
    want: [],
  },
  {
    given: 'a required choice group missing',
    json: { ...valid, deceasedBoolean: undefined },
    want: ['required Patient.deceased'],
  },
  {
    given: 'a choice variant present only as _x',
    json: { ...valid, _deceasedDate: { id: 'd' } },
    want: ['structure Patient.deceased'],
  },
  {
    given: 'aligned arrays with nulls',
    json: { ...valid, given: ['a', null], _given: [null, { id: 'x' }] },
    want: [],
  },
  {
    given: 'null on both sides',
    json: { ...valid, given: ['a', null], _given: [null, null] },
    want: ['structure Patient.given[1]'],
  },
  { given: 'null without _x', json: { ...valid, given: [null] }, want: ['structure Patient.given[0]'] },
  { given: 'an integer below its minimum', json: { ...valid, count: 0 }, want: ['value Patient.count'] },
  {
    given: 'a contentReference element',
    json: { ...valid, contact: [{ contact: [{ gender: 'x y' }] }] },
    want: [],
  },
  {
    given: 'a bad code in a contentReference element',
    json: { ...valid, contact: [{ contact: [{ gender: ' ' }] }] },
    want: ['value Patient.contact[0].contact[0].gender'],
  },
  {
    given: 'a Resource (not DomainResource) where DomainResource is expected',
    json: { ...valid, link: { resourceType: 'Binary' } },
    want: ['structure Patient.link'],
  },
  {
    given: 'a DomainResource where DomainResource is expected',
    json: { ...valid, link: { resourceType: 'Basic' } },
    want: [],
  },
  {
    given: 'a contained resource that is not an object',
    json: { ...valid, contained: ['Basic'] },
    want: ['structure Patient.contained[0]'],
  },
];

const MODES: [string, () => FhirValidator][] = [
  ['compiled at run time', () => compileValidator(buildSchemaDocument(tinyModel()))],
  ['generated ahead of time', () => standaloneFromEmitted(tinyModel())],
];

for (const [mode, make] of MODES)
  describe(`validator runtime on the tiny model, ${mode}`, () => {
    const validator = make();
    const issues = (json: unknown) =>
      validator.validate(json).issues.map((issue) => `${issue.code} ${issue.path}`);

    it('accepts a valid resource', () => assert.deepEqual(issues(valid), []));

    for (const { given, json, want } of RUNTIME_CASES) {
      it(given, () => assert.deepEqual(issues(JSON.parse(JSON.stringify(json))), want));
    }

    it('rejects JSON that is not a resource', () => {
      assert.deepEqual(issues([]), ['structure Resource']);
      assert.deepEqual(issues('Patient'), ['structure Resource']);
    });

    it('refuses to validate as an abstract or unknown type', () => {
      assert.throws(
        () => validator.validateAs('DomainResource', valid),
        /no concrete resource type 'DomainResource'/,
      );
      assert.throws(() => validator.validateAs('Nope', valid), /no concrete resource type 'Nope'/);
    });

    it('reports a hostile nesting depth as an issue rather than throwing', () => {
      let contact: Record<string, unknown> = { gender: 'x' };
      for (let depth = 0; depth < 100_000; depth += 1) contact = { contact: [contact] };
      assert.deepEqual(issues({ ...valid, contact: [contact] }), ['too-costly Patient']);
    });

    it('isValid agrees with validate', () => {
      assert.equal(validator.isValid(valid), true);
      assert.equal(validator.isValid({ ...valid, gender: 'other' }), false);
      assert.equal(validator.isValid({ resourceType: 'Nope' }), false);
    });
  });

describe('validators generated ahead of time on the tiny model', () => {
  const compiled = compileValidator(buildSchemaDocument(tinyModel()));
  const generated = standaloneFromEmitted(tinyModel());

  it('report exactly what the validators compiled at run time report, messages included', () => {
    const inputs = [valid, ...RUNTIME_CASES.map((c) => JSON.parse(JSON.stringify(c.json))), [], 'Patient'];
    for (const json of inputs) assert.deepEqual(generated.validate(json), compiled.validate(json));
  });

  it('put each backbone element with its resource type and share the data types', () => {
    const model = tinyModel();
    const files = validatorFiles(model, buildSchemaDocument(model));
    assert.deepEqual([...files.keys()].sort(), [
      'validators/Basic.js',
      'validators/Binary.js',
      'validators/Patient.js',
      'validators/datatypes.js',
      'validators/index.ts',
    ]);
    const patient = files.get('validators/Patient.js') as string;
    assert.match(patient, /module\.exports = function \(helpers, datatypes\) \{/);
    assert.match(patient, /= datatypes\.HumanName;/);
    assert.match(patient, /"fhirType":"PatientContact"/);
    assert.doesNotMatch(patient, /"fhirType":"HumanName"/);
    assert.match(files.get('validators/datatypes.js') as string, /return \{.*"HumanName": validate\d+/);
    assert.match(
      files.get('validators/index.ts') as string,
      /Patient: \(\) => require\('\.\/Patient\.js'\),/,
    );
  });
});
