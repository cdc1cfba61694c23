import { baseNameOf, typeNameOf } from './collect';
import type { RawElementDefinition, RawStructureDefinition, RawTypeRef } from './raw';
import { extensionValue, stripVersion } from './raw';
import { systemTypeOf } from './type-codes';
import type { JsonType, PrimitiveType } from './types';
import { asCanonical } from './types';

/** DSTU2/STU3 put the value's regex and JSON type in extensions; R4 moved the regex to `regex`. */
const REGEX_EXTENSIONS = [
  'http://hl7.org/fhir/StructureDefinition/regex',
  'http://hl7.org/fhir/StructureDefinition/structuredefinition-regex',
];
const JSON_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-json-type';
const XML_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-xml-type';

/** R4 primitive values are typed with FHIRPath system types (https://hl7.org/fhir/R4/fhirpath.html#types). */
const SYSTEM_JSON_TYPES: Readonly<Record<string, JsonType>> = {
  String: 'string',
  Boolean: 'boolean',
  Integer: 'integer',
  Decimal: 'number',
  Date: 'string',
  DateTime: 'string',
  Time: 'string',
};

/**
 * Lower bounds the specification states in prose only: positiveInt is 1..2^31-1 and unsignedInt is
 * 0..2^31-1 in every version (https://hl7.org/fhir/R4/datatypes.html#primitive); the upper bound
 * comes from `integer`'s value element.
 */
const INTEGER_LOWER_BOUNDS: Readonly<Record<string, number>> = { positiveInt: 1, unsignedInt: 0 };

/**
 * Pass "primitives": every primitive type with its JSON type, regex and integer bounds. A primitive
 * that specialises another (`code` -> `string`, `positiveInt` -> `integer`) takes its JSON type from
 * the root of its chain (R4 types the positiveInt value as a System.String), and inherits a regex or
 * bounds it does not state itself. `regexesFromText` gives, by primitive name, the regex of a primitive
 * whose definition states none but whose specification text does.
 */
export function buildPrimitives(
  definitions: RawStructureDefinition[],
  regexesFromText: Readonly<Record<string, string>> = {},
): PrimitiveType[] {
  const byName = new Map(definitions.map((definition) => [typeNameOf(definition), definition]));
  const built = new Map<string, PrimitiveType>();
  const build = (name: string, seen: Set<string>): PrimitiveType | undefined => {
    const done = built.get(name);
    if (done) return done;
    const definition = byName.get(name);
    if (!definition || seen.has(name)) return undefined;
    seen.add(name);
    const baseName = baseNameOf(definition);
    const base = baseName !== undefined && byName.has(baseName) ? build(baseName, seen) : undefined;
    const primitive = primitiveOf(definition, name, regexesFromText[name], base);
    built.set(name, primitive);
    return primitive;
  };
  for (const name of byName.keys()) build(name, new Set());
  return [...built.values()];
}

function primitiveOf(
  definition: RawStructureDefinition,
  name: string,
  regexFromText: string | undefined,
  base?: PrimitiveType,
): PrimitiveType {
  const value = valueElement(definition);
  const type = value?.type?.[0];
  const primitive: PrimitiveType = {
    kind: 'primitive',
    name,
    url: asCanonical(stripVersion(definition.url)),
    jsonType: base?.jsonType ?? jsonTypeOf(value, type),
    description: definition.description ?? '',
  };
  if (base) primitive.base = base.name;
  const regex = regexOf(type) ?? regexFromText ?? base?.regex;
  if (regex !== undefined) primitive.regex = regex;
  if (primitive.jsonType === 'integer') {
    const minValue = INTEGER_LOWER_BOUNDS[name] ?? value?.minValueInteger ?? base?.minValue;
    const maxValue = value?.maxValueInteger ?? base?.maxValue;
    if (minValue !== undefined) primitive.minValue = minValue;
    if (maxValue !== undefined) primitive.maxValue = maxValue;
  }
  return primitive;
}

/** `<type>.value`: the element that holds the primitive's value. */
function valueElement(definition: RawStructureDefinition): RawElementDefinition | undefined {
  return definition.snapshot?.element.find((element) => /^[^.]+\.value$/.test(element.path));
}

function regexOf(type: RawTypeRef | undefined): string | undefined {
  for (const url of REGEX_EXTENSIONS) {
    const regex = extensionValue(type?.extension, url) ?? extensionValue(type?._code?.extension, url);
    if (regex !== undefined) return regex;
  }
  return undefined;
}

/**
 * The JSON type of a root primitive. DSTU2/STU3 state it in `structuredefinition-json-type`, where
 * integers are `number`; an integer is told apart by its integer bounds or its XML Schema type.
 */
function jsonTypeOf(value: RawElementDefinition | undefined, type: RawTypeRef | undefined): JsonType {
  const system = type ? systemTypeOf(type) : undefined;
  if (system !== undefined) return SYSTEM_JSON_TYPES[system] ?? 'string';
  const declared = extensionValue(type?._code?.extension, JSON_TYPE_EXTENSION);
  // DSTU2 writes the boolean's JSON type as `true | false`.
  if (declared === 'boolean' || declared === 'true | false') return 'boolean';
  if (declared === 'number') {
    const xmlType = extensionValue(type?._code?.extension, XML_TYPE_EXTENSION) ?? '';
    const integer = value?.minValueInteger !== undefined || /^(xsd?:)?(int|integer)$/i.test(xmlType);
    return integer ? 'integer' : 'number';
  }
  return 'string';
}
