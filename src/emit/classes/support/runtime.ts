/**
 * The casting engine shared by every generated class of one FHIR version. fhirgen copies this file
 * verbatim into `generated/<version>/runtime.ts`, so it imports nothing: the folder must stand alone.
 *
 * Each generated class carries a static field table (name, cardinality, kind, class) and this code
 * walks it, so instances hold no closures and casting needs no reflection beyond one table lookup.
 * JSON rules followed: https://hl7.org/fhir/R4/json.html (primitive `_name` extensions, arrays aligned
 * with `null`, `resourceType` first, no empty objects or arrays).
 */

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

const PRIMITIVE = 0;
const COMPLEX = 1;
const RESOURCE = 2;

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
  readonly kind: typeof PRIMITIVE | typeof COMPLEX | typeof RESOURCE;
  readonly jsonType: PrimitiveJsonType | undefined;
  readonly type: (() => FhirClass) | undefined;
  readonly registry: (() => ResourceRegistry) | undefined;
}

/** The static table of a generated class. The field list is built on first use (lazy: no load-order cycles). */
export interface TypeTable {
  readonly typeName: string;
  /** Set for resources: the literal `resourceType`. */
  readonly resourceType: string | undefined;
  readonly version: FhirVersionInfo;
  readonly element: () => FhirClass;
  readonly define: () => Field[];
  fields: Field[] | undefined;
  /** Every JSON property name the type accepts, for spotting unknown ones. */
  known: Set<string> | undefined;
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

/** The table of a data type or backbone element. `element` is the version's Element, for `_name` values. */
export function typeTable(
  version: FhirVersionInfo,
  typeName: string,
  element: () => FhirClass,
  define: () => Field[],
): TypeTable {
  return { typeName, resourceType: undefined, version, element, define, fields: undefined, known: undefined };
}

export function resourceTable(
  version: FhirVersionInfo,
  resourceType: string,
  element: () => FhirClass,
  define: () => Field[],
): ResourceTable {
  return {
    typeName: resourceType,
    resourceType,
    version,
    element,
    define,
    fields: undefined,
    known: undefined,
  };
}

function fieldsOf(table: TypeTable): Field[] {
  if (table.fields !== undefined) return table.fields;
  const fields = table.define();
  const known = new Set<string>();
  if (table.resourceType !== undefined) known.add('resourceType');
  for (const field of fields) {
    known.add(field.name);
    if (field.kind === PRIMITIVE) known.add(field.extName);
  }
  table.known = known;
  table.fields = fields;
  return fields;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The path of the object about to be constructed by `castChild`. Constructors take only `(json, report)`
 * publicly; nested casts hand their path over here, synchronously, so that reports and errors can say
 * `Patient.contact[0].name` without a per-object context allocation.
 */
let pendingPath: string | undefined;

type Slots = Record<string, unknown>;

/** The base of every generated class: builds itself from JSON through its table, and writes canonical JSON. */
export abstract class FhirObject<J extends object = JsonObject> {
  constructor(json: J, report?: CastReport) {
    const table = (this.constructor as FhirClass).table;
    const path = pendingPath ?? table.typeName;
    pendingPath = undefined;
    castInto(this as unknown as Slots, table, json, report, path);
  }

  /** Canonical FHIR JSON: elements in StructureDefinition order, nothing undefined, no empty arrays or objects. */
  toJSON(): J {
    return writeJson(this as unknown as Slots, (this.constructor as FhirClass).table) as unknown as J;
  }
}

function castChild(
  type: FhirClass,
  json: JsonObject,
  report: CastReport | undefined,
  path: string,
): FhirObject<object> {
  pendingPath = path;
  return new type(json as never, report);
}

function castInto(
  target: Slots,
  table: TypeTable,
  json: object,
  report: CastReport | undefined,
  path: string,
): void {
  const source = json as JsonObject;
  if (table.resourceType !== undefined) {
    const given = source.resourceType;
    if (given !== table.resourceType) {
      throw new FhirCastError(
        given === undefined ? 'MISSING_RESOURCE_TYPE' : 'WRONG_RESOURCE_TYPE',
        `expected a ${table.resourceType}, got ${given === undefined ? 'no resourceType' : JSON.stringify(given)}`,
        table.version,
        typeof given === 'string' ? given : undefined,
        path,
      );
    }
    target.resourceType = given;
  }
  const fields = fieldsOf(table);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as Field;
    const value = source[field.name];
    if (field.kind === PRIMITIVE) {
      castPrimitive(target, table, field, value, source[field.extName], report, path);
    } else if (field.many) {
      target[field.name] = value === undefined ? [] : castMany(field, value, report, path);
    } else if (value !== undefined) {
      target[field.name] = castOne(field, value, report, path);
    }
  }
  if (report !== undefined) reportUnknown(source, table, report, path);
}

function reportUnknown(source: JsonObject, table: TypeTable, report: CastReport, path: string): void {
  const known = table.known as Set<string>;
  for (const key in source) {
    if (!known.has(key)) report.dropped.push({ path: `${path}.${key}`, reason: 'unknown-property' });
  }
}

function dropWrongType(report: CastReport | undefined, path: string): undefined {
  if (report !== undefined) report.dropped.push({ path, reason: 'wrong-json-type' });
  return undefined;
}

function castOne(
  field: Field,
  value: unknown,
  report: CastReport | undefined,
  path: string,
): FhirObject<object> | undefined {
  const at = `${path}.${field.name}`;
  if (!isObject(value)) return dropWrongType(report, at);
  if (field.kind === RESOURCE)
    return castResourceIn((field.registry as () => ResourceRegistry)(), value, report, at);
  return castChild((field.type as () => FhirClass)(), value, report, at);
}

function castMany(
  field: Field,
  value: unknown,
  report: CastReport | undefined,
  path: string,
): FhirObject<object>[] {
  const out: FhirObject<object>[] = [];
  if (!Array.isArray(value)) {
    dropWrongType(report, `${path}.${field.name}`);
    return out;
  }
  const type = field.kind === COMPLEX ? (field.type as () => FhirClass)() : undefined;
  const registry = field.kind === RESOURCE ? (field.registry as () => ResourceRegistry)() : undefined;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const at = `${path}.${field.name}[${i}]`;
    if (!isObject(item)) {
      dropWrongType(report, at);
    } else if (type !== undefined) {
      out.push(castChild(type, item, report, at));
    } else {
      out.push(castResourceIn(registry as ResourceRegistry, item, report, at));
    }
  }
  return out;
}

/** A primitive and its `_name` sibling; arrays keep `null` where only one side has an entry. */
function castPrimitive(
  target: Slots,
  table: TypeTable,
  field: Field,
  value: unknown,
  ext: unknown,
  report: CastReport | undefined,
  path: string,
): void {
  if (!field.many) {
    if (value !== undefined) {
      if (typeof value === field.jsonType) target[field.name] = value;
      else dropWrongType(report, `${path}.${field.name}`);
    }
    if (ext !== undefined) {
      const at = `${path}.${field.extName}`;
      if (isObject(ext)) target[field.extName] = castChild(table.element(), ext, report, at);
      else dropWrongType(report, at);
    }
    return;
  }
  target[field.name] = value === undefined ? [] : castPrimitiveArray(field, value, report, path);
  if (ext !== undefined) castExtensionArray(target, table, field, ext, report, path);
}

function castPrimitiveArray(
  field: Field,
  value: unknown,
  report: CastReport | undefined,
  path: string,
): (JsonValue | null)[] {
  if (!Array.isArray(value)) {
    dropWrongType(report, `${path}.${field.name}`);
    return [];
  }
  const out: (JsonValue | null)[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === null || typeof item === field.jsonType) {
      out[i] = item as JsonValue | null;
    } else {
      out[i] = null;
      dropWrongType(report, `${path}.${field.name}[${i}]`);
    }
  }
  return out;
}

function castExtensionArray(
  target: Slots,
  table: TypeTable,
  field: Field,
  ext: unknown,
  report: CastReport | undefined,
  path: string,
): void {
  const at = `${path}.${field.extName}`;
  if (!Array.isArray(ext)) {
    dropWrongType(report, at);
    return;
  }
  const element = table.element();
  const out: (FhirObject<object> | null)[] = new Array(ext.length);
  for (let i = 0; i < ext.length; i++) {
    const item: unknown = ext[i];
    out[i] = isObject(item) ? castChild(element, item, report, `${at}[${i}]`) : null;
  }
  target[field.extName] = out;
}

function castResourceIn(
  registry: ResourceRegistry,
  json: JsonObject,
  report: CastReport | undefined,
  path: string,
): FhirObject<object> {
  const type = resolveResource(registry, json, path);
  return castChild(type, json, report, path);
}

/**
 * Casts any resource of the registry's version by its `resourceType`; with `expected` (a route's type),
 * another type is a WRONG_RESOURCE_TYPE error.
 */
export function castResource(
  registry: ResourceRegistry,
  json: unknown,
  report?: CastReport,
  expected?: string,
): FhirObject<object> {
  const type = resolveResource(registry, json, expected ?? '$');
  const actual = type.table.resourceType;
  if (expected !== undefined && actual !== expected) {
    throw new FhirCastError(
      'WRONG_RESOURCE_TYPE',
      `expected a ${expected}, got ${actual}`,
      registry.version,
      actual,
      expected,
    );
  }
  pendingPath = actual;
  return new type(json as never, report);
}

/** The class for `json.resourceType` in this registry's version, or a typed error naming version and type. */
export function resolveResource(registry: ResourceRegistry, json: unknown, path: string): ResourceClass {
  if (!isObject(json)) {
    throw new FhirCastError(
      'NOT_AN_OBJECT',
      'a resource must be a JSON object',
      registry.version,
      undefined,
      path,
    );
  }
  const resourceType = json.resourceType;
  if (typeof resourceType !== 'string') {
    throw new FhirCastError(
      'MISSING_RESOURCE_TYPE',
      'the resource has no resourceType',
      registry.version,
      undefined,
      path,
    );
  }
  const type = registry.classOf(resourceType);
  if (type === undefined) {
    throw new FhirCastError(
      'UNKNOWN_RESOURCE_TYPE',
      `${JSON.stringify(resourceType)} is not a resource type of this version`,
      registry.version,
      resourceType,
      path,
    );
  }
  return type;
}

function writeJson(source: Slots, table: TypeTable): JsonObject {
  const out: JsonObject = {};
  if (table.resourceType !== undefined) out.resourceType = table.resourceType;
  const fields = fieldsOf(table);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as Field;
    const value = source[field.name];
    if (field.kind === PRIMITIVE) {
      writePrimitive(out, field, value, source[field.extName]);
    } else if (field.many) {
      const items = writeMany(value);
      if (items !== undefined) out[field.name] = items;
    } else if (value !== undefined && value !== null) {
      const json = jsonOf(value);
      if (!isEmpty(json)) out[field.name] = json;
    }
  }
  return out;
}

function jsonOf(value: unknown): JsonObject {
  return (value as FhirObject<object>).toJSON() as JsonObject;
}

function isEmpty(json: JsonObject): boolean {
  for (const _ in json) return false;
  return true;
}

function writeMany(value: unknown): JsonObject[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: JsonObject[] = [];
  for (let i = 0; i < value.length; i++) {
    const json = jsonOf(value[i]);
    if (!isEmpty(json)) out.push(json);
  }
  return out.length === 0 ? undefined : out;
}

function writePrimitive(out: JsonObject, field: Field, value: unknown, ext: unknown): void {
  if (!field.many) {
    if (value !== undefined && value !== null) out[field.name] = value as JsonValue;
    if (ext !== undefined && ext !== null) {
      const json = jsonOf(ext);
      if (!isEmpty(json)) out[field.extName] = json;
    }
    return;
  }
  const values = value as (JsonValue | null)[] | undefined;
  const exts = writeExtensionArray(ext);
  const length = Math.max(values?.length ?? 0, exts?.length ?? 0);
  if (length === 0) return;
  if (values?.some((item) => item !== null)) {
    out[field.name] = exts === undefined ? values.slice() : padded(values, length);
  }
  if (exts !== undefined) out[field.extName] = padded(exts, length);
}

/** `_name` arrays: each entry's JSON, `null` where an entry has none; undefined when nothing is left. */
function writeExtensionArray(ext: unknown): (JsonObject | null)[] | undefined {
  if (!Array.isArray(ext) || ext.length === 0) return undefined;
  let any = false;
  const out: (JsonObject | null)[] = new Array(ext.length);
  for (let i = 0; i < ext.length; i++) {
    const item = ext[i] as FhirObject<object> | null;
    const json = item === null || item === undefined ? null : jsonOf(item);
    out[i] = json === null || isEmpty(json) ? null : json;
    if (out[i] !== null) any = true;
  }
  return any ? out : undefined;
}

function padded<T>(items: (T | null)[], length: number): (T | null)[] {
  const out = items.slice();
  while (out.length < length) out.push(null);
  return out;
}
