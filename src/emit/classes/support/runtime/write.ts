/**
 * Writing instances back as canonical FHIR JSON: elements in StructureDefinition order, `_name` right
 * after its primitive, nothing undefined, no empty arrays or objects.
 */
import {
  COMMENTS,
  type Compiled,
  compiledOf,
  type FhirClass,
  type Field,
  type JsonObject,
  type JsonValue,
  PRIMITIVE,
  type Slots,
  type TypeTable,
} from './model';

/** The JSON of an instance; `{}` when it holds nothing. */
export function writeObject(source: object): JsonObject {
  return writeJson(source as Slots, (source.constructor as FhirClass).table) ?? {};
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
    if (field.kind === COMMENTS) json = (value as string[]).slice();
    else if (field.kind !== PRIMITIVE) json = field.many ? writeMany(value) : writeChild(value);
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
  if (value === undefined || value === null || isEmptyArray(value)) return false;
  const json =
    field.kind === COMMENTS ? (value as string[]).slice() : field.many ? writeMany(value) : writeChild(value);
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
