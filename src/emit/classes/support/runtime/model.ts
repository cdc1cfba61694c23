/**
 * The data model of the casting runtime: JSON types, cast reports and errors, and the static field
 * tables that generated classes declare. fhirgen copies this folder verbatim into
 * `generated/<version>/runtime/`; it imports nothing outside it, so each version's folder stands alone.
 * JSON rules followed: https://hl7.org/fhir/R4/json.html (primitive `_name` extensions, arrays aligned
 * with `null`, `resourceType` first, no empty objects or arrays).
 */
import type { FhirObject } from './index';

/** Parsed JSON. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/** The JSON type of a primitive's value: FHIR's `decimal` and `integer` are JSON numbers. */
export type PrimitiveJsonType = 'string' | 'number' | 'boolean';

/** The FHIR version a class belongs to, named in errors. */
export interface FhirVersionInfo {
  readonly id: string;
  readonly fhirVersion: string;
  readonly label: string;
}

/** Why a property did not make it into the cast object. */
export type DropReason = 'unknown-property' | 'wrong-json-type';

export interface DroppedProperty {
  /** Where it was, as `Patient.contact[0].foo`. */
  path: string;
  reason: DropReason;
}

/** Pass one to a cast to learn what it dropped; the server logs it or rejects the resource. */
export interface CastReport {
  dropped: DroppedProperty[];
}

export type CastErrorCode =
  | 'NOT_AN_OBJECT'
  | 'MISSING_RESOURCE_TYPE'
  | 'UNKNOWN_RESOURCE_TYPE'
  | 'WRONG_RESOURCE_TYPE';

/** Thrown when JSON cannot be cast at all: not an object, or no usable `resourceType`. */
export class FhirCastError extends Error {
  readonly code: CastErrorCode;
  readonly version: string;
  readonly resourceType: string | undefined;
  readonly path: string;

  constructor(
    code: CastErrorCode,
    message: string,
    version: FhirVersionInfo,
    resourceType: string | undefined,
    path: string,
  ) {
    super(`${message} (FHIR ${version.label} ${version.fhirVersion}, at ${path})`);
    this.name = 'FhirCastError';
    this.code = code;
    this.version = version.id;
    this.resourceType = resourceType;
    this.path = path;
  }
}

export const PRIMITIVE = 0;
export const COMPLEX = 1;
export const RESOURCE = 2;
/** Comments on an object, as a version's JSON carries them (DSTU2 `fhir_comments`): strings, kept as they are. */
export const COMMENTS = 3;

/** Finds the class of a resource type within one version. */
export interface ResourceRegistry {
  readonly version: FhirVersionInfo;
  classOf(resourceType: string): ResourceClass | undefined;
}

/** One element of a type, in StructureDefinition order. */
export interface Field {
  readonly name: string;
  /** `_name`, where primitive extensions sit; empty for non-primitives. */
  readonly extName: string;
  readonly many: boolean;
  readonly kind: typeof PRIMITIVE | typeof COMPLEX | typeof RESOURCE | typeof COMMENTS;
  readonly jsonType: PrimitiveJsonType | undefined;
  readonly type: (() => FhirClass) | undefined;
  readonly registry: (() => ResourceRegistry) | undefined;
}

/**
 * A table made ready on first use: the classes behind the thunks looked up once (every module has
 * loaded by then), and each JSON key mapped to its field, so that casting walks only the keys present.
 */
export interface Compiled {
  readonly fields: Field[];
  readonly classes: (FhirClass | undefined)[];
  readonly registries: (ResourceRegistry | undefined)[];
  /** JSON key -> field index * 2, plus 1 for a primitive's `_name`. */
  readonly keys: Map<string, number>;
  /** The names of repeating fields: every instance gets an empty array for each one the JSON lacks. */
  readonly arrays: string[];
  /** Per field: its bit in a cast's "arrays set" mask (the first 31 repeating fields), else 0. */
  readonly arrayBits: number[];
  readonly element: FhirClass;
}

/** The static table of a generated class. The field list is built on first use (lazy: no load-order cycles). */
export interface TypeTable {
  readonly typeName: string;
  /** Set for resources: the literal `resourceType`. */
  readonly resourceType: string | undefined;
  readonly version: FhirVersionInfo;
  readonly element: () => FhirClass;
  readonly define: () => Field[];
  compiled: Compiled | undefined;
}

/** A generated class. Its constructor takes that class's JSON interface; the runtime passes checked JSON. */
export type FhirClass = {
  readonly table: TypeTable;
  new (json: never, report?: CastReport): FhirObject<object>;
};
/** The table of a concrete resource: it knows its `resourceType`. */
export type ResourceTable = TypeTable & { readonly resourceType: string };
export type ResourceClass = FhirClass & { readonly table: ResourceTable };

export function primitive(name: string, jsonType: PrimitiveJsonType, many = false): Field {
  return { name, extName: `_${name}`, many, kind: PRIMITIVE, jsonType, type: undefined, registry: undefined };
}

export function complex(name: string, type: () => FhirClass, many = false): Field {
  return { name, extName: '', many, kind: COMPLEX, jsonType: undefined, type, registry: undefined };
}

export function resource(name: string, registry: () => ResourceRegistry, many = false): Field {
  return { name, extName: '', many, kind: RESOURCE, jsonType: undefined, type: undefined, registry };
}

/**
 * The comments property of a version whose JSON has one (DSTU2 `fhir_comments`, an array of strings on
 * any object: https://hl7.org/fhir/DSTU2/json.html). Not a repeating element: instances without
 * comments get no empty array.
 */
export function comments(name: string): Field {
  return {
    name,
    extName: '',
    many: false,
    kind: COMMENTS,
    jsonType: 'string',
    type: undefined,
    registry: undefined,
  };
}

/** The table of a data type or backbone element. `element` is the version's Element, for `_name` values. */
export function typeTable(
  version: FhirVersionInfo,
  typeName: string,
  element: () => FhirClass,
  define: () => Field[],
): TypeTable {
  return { typeName, resourceType: undefined, version, element, define, compiled: undefined };
}

export function resourceTable(
  version: FhirVersionInfo,
  resourceType: string,
  element: () => FhirClass,
  define: () => Field[],
): ResourceTable {
  return { typeName: resourceType, resourceType, version, element, define, compiled: undefined };
}

export function compiledOf(table: TypeTable): Compiled {
  if (table.compiled !== undefined) return table.compiled;
  const fields = table.define();
  const keys = new Map<string, number>();
  fields.forEach((field, index) => {
    keys.set(field.name, index * 2);
    if (field.kind === PRIMITIVE) keys.set(field.extName, index * 2 + 1);
  });
  table.compiled = {
    fields,
    classes: fields.map((field) => field.type?.()),
    registries: fields.map((field) => field.registry?.()),
    keys,
    arrays: fields.filter((field) => field.many).map((field) => field.name),
    arrayBits: arrayBits(fields),
    element: table.element(),
  };
  return table.compiled;
}

function arrayBits(fields: Field[]): number[] {
  let next = 0;
  return fields.map((field) => (field.many && next < 31 ? 1 << next++ : 0));
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Instance properties, by JSON name. */
export type Slots = Record<string, unknown>;
