/**
 * Casting JSON into instances: walks the JSON keys present, looks each up in the class's table, builds
 * children through their classes and resources through the version's registry, and reports (or
 * drops) what the version does not define.
 */

import type { FhirObject } from './index';
import {
  type CastReport,
  COMMENTS,
  type Compiled,
  compiledOf,
  FhirCastError,
  type FhirClass,
  type Field,
  isObject,
  type JsonObject,
  type JsonValue,
  PRIMITIVE,
  type ResourceClass,
  type ResourceRegistry,
  type Slots,
  type TypeTable,
} from './model';

/**
 * The path of the object about to be constructed by `castChild`. Constructors take only `(json, report)`
 * publicly; nested casts hand their path over here, synchronously, so that reports and errors can say
 * `Patient.contact[0].name` without a per-object context allocation.
 */
let pendingPath: string | undefined;

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
    } else if (field.kind === COMMENTS) {
      const cast = castComments(value, report, `${path}.${key}`);
      if (cast !== undefined) target[key] = cast;
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

/** Comments: a copy of the array, without the items that are not strings. */
function castComments(value: unknown, report: CastReport | undefined, path: string): string[] | undefined {
  if (!Array.isArray(value)) return dropWrongType(report, path);
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (typeof item === 'string') out.push(item);
    else dropWrongType(report, `${path}[${i}]`);
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

/** Fills a freshly constructed instance from JSON: the body of every generated constructor. */
export function castNew(target: object, json: object, report: CastReport | undefined): void {
  const table = (target.constructor as FhirClass).table;
  const path = pendingPath ?? table.typeName;
  pendingPath = undefined;
  castInto(target as Slots, table, json as JsonObject, report, path);
}
