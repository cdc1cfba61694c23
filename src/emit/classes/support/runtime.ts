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

/**
 * A table made ready on first use: the classes behind the thunks looked up once (every module has
 * loaded by then), and each JSON key mapped to its field, so that casting walks only the keys present.
 */
interface Compiled {
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

function compiledOf(table: TypeTable): Compiled {
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
    castInto(this as unknown as Slots, table, json as JsonObject, report, path);
  }

  /** Canonical FHIR JSON: elements in StructureDefinition order, nothing undefined, no empty arrays or objects. */
  toJSON(): J {
    return (writeJson(this as unknown as Slots, (this.constructor as FhirClass).table) ?? {}) as unknown as J;
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
  source: JsonObject,
  report: CastReport | undefined,
  path: string,
): void {
  if (table.resourceType !== undefined) checkResourceType(table, source.resourceType, path);
  const compiled = compiledOf(table);
  let arraysSet = 0;
  for (const key in source) {
    const slot = compiled.keys.get(key);
    if (slot === undefined) {
      if (report !== undefined && !(key === 'resourceType' && table.resourceType !== undefined)) {
        report.dropped.push({ path: `${path}.${key}`, reason: 'unknown-property' });
      }
      continue;
    }
    const index = slot >> 1;
    const field = compiled.fields[index] as Field;
    const value = source[key];
    if ((slot & 1) === 1) {
      const cast = castExtension(compiled.element, field, value, report, `${path}.${key}`);
      if (cast !== undefined) target[key] = cast;
    } else if (field.kind === PRIMITIVE) {
      const cast = castPrimitive(field, value, report, path);
      if (cast !== undefined) target[key] = cast;
      arraysSet |= compiled.arrayBits[index] as number;
    } else if (field.many) {
      target[key] = castMany(compiled, index, value, report, path);
      arraysSet |= compiled.arrayBits[index] as number;
    } else {
      const cast = castOne(compiled, index, value, report, `${path}.${key}`);
      if (cast !== undefined) target[key] = cast;
    }
  }
  if (table.resourceType !== undefined) target.resourceType = table.resourceType;
  // Repeating elements absent from the JSON still get their empty array, after the keys present so that
  // the instance keeps the JSON's (definition) order for writing. The mask spares a lookup per array.
  const arrays = compiled.arrays;
  for (let i = 0; i < arrays.length; i++) {
    const name = arrays[i] as string;
    const bit = i < 31 ? 1 << i : 0;
    if (bit === 0 ? target[name] === undefined : (arraysSet & bit) === 0) target[name] = [];
  }
}

function checkResourceType(table: TypeTable, given: unknown, path: string): void {
  if (given === table.resourceType) return;
  throw new FhirCastError(
    given === undefined ? 'MISSING_RESOURCE_TYPE' : 'WRONG_RESOURCE_TYPE',
    `expected a ${table.resourceType}, got ${given === undefined ? 'no resourceType' : JSON.stringify(given)}`,
    table.version,
    typeof given === 'string' ? given : undefined,
    path,
  );
}

function dropWrongType(report: CastReport | undefined, path: string): undefined {
  if (report !== undefined) report.dropped.push({ path, reason: 'wrong-json-type' });
  return undefined;
}

function castOne(
  compiled: Compiled,
  index: number,
  value: unknown,
  report: CastReport | undefined,
  path: string,
): FhirObject<object> | undefined {
  if (!isObject(value)) return dropWrongType(report, path);
  const type = compiled.classes[index];
  if (type !== undefined) return castChild(type, value, report, path);
  return castResourceIn(compiled.registries[index] as ResourceRegistry, value, report, path);
}

function castMany(
  compiled: Compiled,
  index: number,
  value: unknown,
  report: CastReport | undefined,
  path: string,
): FhirObject<object>[] {
  const name = (compiled.fields[index] as Field).name;
  const out: FhirObject<object>[] = [];
  if (!Array.isArray(value)) {
    dropWrongType(report, `${path}.${name}`);
    return out;
  }
  const type = compiled.classes[index];
  const registry = compiled.registries[index];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const at = `${path}.${name}[${i}]`;
    if (!isObject(item)) dropWrongType(report, at);
    else if (type !== undefined) out.push(castChild(type, item, report, at));
    else out.push(castResourceIn(registry as ResourceRegistry, item, report, at));
  }
  return out;
}

/** A primitive value; arrays keep `null` where only the `_name` array has an entry. */
function castPrimitive(
  field: Field,
  value: unknown,
  report: CastReport | undefined,
  path: string,
): JsonValue | (JsonValue | null)[] | undefined {
  if (!field.many) {
    if (typeof value === field.jsonType) return value as JsonValue;
    return dropWrongType(report, `${path}.${field.name}`);
  }
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

/** A primitive's `_name`: an Element, or for arrays Elements aligned with the values (`null` for none). */
function castExtension(
  element: FhirClass,
  field: Field,
  ext: unknown,
  report: CastReport | undefined,
  at: string,
): FhirObject<object> | (FhirObject<object> | null)[] | undefined {
  if (!field.many) return isObject(ext) ? castChild(element, ext, report, at) : dropWrongType(report, at);
  if (!Array.isArray(ext)) return dropWrongType(report, at);
  const out: (FhirObject<object> | null)[] = new Array(ext.length);
  for (let i = 0; i < ext.length; i++) {
    const item: unknown = ext[i];
    out[i] = isObject(item) ? castChild(element, item, report, `${at}[${i}]`) : null;
  }
  return out;
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

/**
 * Writes the fields present in table order; undefined when nothing is left (an empty object). Instances
 * usually hold their keys in that order already (casting follows the JSON, which FHIR writes in
 * definition order), so keys are written as met; only when one comes out of order are they sorted.
 */
function writeJson(source: Slots, table: TypeTable): JsonObject | undefined {
  const compiled = compiledOf(table);
  const resourceType = table.resourceType;
  const out: JsonObject = resourceType === undefined ? {} : { resourceType };
  let written = resourceType !== undefined;
  let last = -1;
  for (const key in source) {
    const slot = compiled.keys.get(key);
    if (slot === undefined) continue;
    const value = source[key];
    if (value === undefined || value === null || isEmptyArray(value)) continue;
    const field = compiled.fields[slot >> 1] as Field;
    // Repeating primitives and their `_name` are padded together, both written at the first one met.
    const pair = field.kind === PRIMITIVE && field.many;
    if (pair && slot >> 1 === last >> 1) continue;
    if (slot <= last) return writeSorted(source, table, compiled);
    last = pair ? slot | 1 : slot;
    if (pair) {
      written = writePrimitive(out, field, source[field.name], source[field.extName]) || written;
      continue;
    }
    let json: JsonValue | undefined;
    if (field.kind !== PRIMITIVE) json = field.many ? writeMany(value) : writeChild(value);
    else json = (slot & 1) === 1 ? writeChild(value) : (value as JsonValue);
    if (json !== undefined) {
      out[key] = json;
      written = true;
    }
  }
  return written ? out : undefined;
}

function isEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

function writeSorted(source: Slots, table: TypeTable, compiled: Compiled): JsonObject | undefined {
  const present: number[] = [];
  for (const key in source) {
    const slot = compiled.keys.get(key);
    if (slot !== undefined) insertSorted(present, slot >> 1);
  }
  const resourceType = table.resourceType;
  const out: JsonObject = resourceType === undefined ? {} : { resourceType };
  let written = resourceType !== undefined;
  for (let i = 0; i < present.length; i++) {
    written = writeField(out, compiled.fields[present[i] as number] as Field, source) || written;
  }
  return written ? out : undefined;
}

/** Writes one field (and a primitive's `_name`) from the instance; whether anything was written. */
function writeField(out: JsonObject, field: Field, source: Slots): boolean {
  const value = source[field.name];
  if (field.kind === PRIMITIVE) return writePrimitive(out, field, value, source[field.extName]);
  const json =
    value === undefined || value === null ? undefined : field.many ? writeMany(value) : writeChild(value);
  if (json === undefined) return false;
  out[field.name] = json;
  return true;
}

/** Insertion into a short sorted list, skipping duplicates (a primitive and its `_name` share an index). */
function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as number) > value) i--;
  if (i > 0 && list[i - 1] === value) return;
  list.splice(i, 0, value);
}

/** A child's JSON, or undefined when it is empty. */
function writeChild(value: unknown): JsonObject | undefined {
  return writeJson(value as Slots, ((value as object).constructor as FhirClass).table);
}

function writeMany(value: unknown): JsonObject[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: JsonObject[] = [];
  for (let i = 0; i < value.length; i++) {
    const json = writeChild(value[i]);
    if (json !== undefined) out.push(json);
  }
  return out.length === 0 ? undefined : out;
}

function writePrimitive(out: JsonObject, field: Field, value: unknown, ext: unknown): boolean {
  let written = false;
  if (!field.many) {
    if (value !== undefined && value !== null) {
      out[field.name] = value as JsonValue;
      written = true;
    }
    const json = ext === undefined || ext === null ? undefined : writeChild(ext);
    if (json !== undefined) {
      out[field.extName] = json;
      written = true;
    }
    return written;
  }
  const values = value as (JsonValue | null)[] | undefined;
  const exts = writeExtensionArray(ext);
  const length = Math.max(values?.length ?? 0, exts?.length ?? 0);
  if (length === 0) return false;
  if (values?.some((item) => item !== null)) {
    out[field.name] = exts === undefined ? values.slice() : padded(values, length);
    written = true;
  }
  if (exts !== undefined) {
    out[field.extName] = padded(exts, length);
    written = true;
  }
  return written;
}

/** `_name` arrays: each entry's JSON, `null` where an entry has none; undefined when nothing is left. */
function writeExtensionArray(ext: unknown): (JsonObject | null)[] | undefined {
  if (!Array.isArray(ext) || ext.length === 0) return undefined;
  let any = false;
  const out: (JsonObject | null)[] = new Array(ext.length);
  for (let i = 0; i < ext.length; i++) {
    const item: unknown = ext[i];
    const json = item === null || item === undefined ? undefined : writeChild(item);
    out[i] = json ?? null;
    if (json !== undefined) any = true;
  }
  return any ? out : undefined;
}

function padded<T>(items: (T | null)[], length: number): (T | null)[] {
  const out = items.slice();
  while (out.length < length) out.push(null);
  return out;
}
