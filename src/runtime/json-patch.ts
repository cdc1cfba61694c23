/**
 * JSON Patch (RFC 6902) over JSON Pointers (RFC 6901), applied to a copy so that a failing
 * operation leaves the resource untouched (RFC 6902 §5: the whole document fails). A malformed patch
 * document is a 400; a well-formed one that cannot be applied (a failing `test`, a missing path) is
 * 422, as https://hl7.org/fhir/R4/http.html#patch asks.
 */
import { FhirHttpError } from './outcome';
import type { JsonPatchOperation } from './service';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
/** Keys that would reach Object.prototype through a plain object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Checks that `body` is a patch document (RFC 6902 §3, §4) and returns its operations. */
export function parsePatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) throw new FhirHttpError(400, 'A JSON Patch body must be an array of operations');
  return body.map((entry, index) => {
    const where = `JSON Patch operation ${index}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new FhirHttpError(400, `${where} is not an object`);
    }
    const op = entry as Record<string, unknown>;
    if (typeof op.op !== 'string' || !OPS.has(op.op))
      throw new FhirHttpError(400, `${where} has no valid "op"`);
    if (typeof op.path !== 'string') throw new FhirHttpError(400, `${where} has no "path"`);
    parsePointer(op.path, where);
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      throw new FhirHttpError(400, `${where} (${op.op}) has no "from"`);
    }
    if (typeof op.from === 'string') parsePointer(op.from, where);
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw new FhirHttpError(400, `${where} (${op.op}) has no "value"`);
    }
    return op as unknown as JsonPatchOperation;
  });
}

/** Applies the operations in order to a copy of `document`; throws 422 at the first that fails. */
export function applyPatch<T>(document: T, operations: JsonPatchOperation[]): T {
  let result = structuredClone(document) as Json;
  operations.forEach((operation, index) => {
    result = applyOne(result, operation, `JSON Patch operation ${index} (${operation.op} ${operation.path})`);
  });
  return result as T;
}

function applyOne(doc: Json, operation: JsonPatchOperation, where: string): Json {
  const path = parsePointer(operation.path, where);
  switch (operation.op) {
    case 'add':
      return add(doc, path, structuredClone(operation.value) as Json, where);
    case 'remove':
      return remove(doc, path, where);
    case 'replace':
      return add(remove(doc, path, where), path, structuredClone(operation.value) as Json, where);
    case 'copy':
      return add(
        doc,
        path,
        structuredClone(get(doc, parsePointer(operation.from ?? '', where), where)),
        where,
      );
    case 'move': {
      const from = parsePointer(operation.from ?? '', where);
      // RFC 6902 §4.4: a location cannot be moved into one of its children.
      if (from.length < path.length && from.every((segment, i) => segment === path[i])) {
        throw new FhirHttpError(422, `${where}: cannot move a value into itself`);
      }
      const value = get(doc, from, where);
      return add(remove(doc, from, where), path, value, where);
    }
    case 'test':
      if (!deepEqual(get(doc, path, where), operation.value as Json)) {
        throw new FhirHttpError(422, `${where}: test failed`);
      }
      return doc;
  }
}

function parsePointer(pointer: string, where: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new FhirHttpError(400, `${where}: "${pointer}" is not a JSON Pointer`);
  // RFC 6901 §4: decode ~1 before ~0.
  const segments = pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (segments.some((segment) => FORBIDDEN_KEYS.has(segment))) {
    throw new FhirHttpError(400, `${where}: "${pointer}" names a forbidden key`);
  }
  return segments;
}

function get(doc: Json, path: string[], where: string): Json {
  let current: Json = doc;
  for (const segment of path) {
    const container = asContainer(current, where);
    const key = Array.isArray(container) ? arrayIndex(container, segment, false, where) : segment;
    if (!Object.hasOwn(container, key)) throw new FhirHttpError(422, `${where}: path does not exist`);
    current = (container as Record<string, Json>)[key] as Json;
  }
  return current;
}

function add(doc: Json, path: string[], value: Json, where: string): Json {
  if (path.length === 0) return value;
  const parent = asContainer(get(doc, path.slice(0, -1), where), where);
  const last = path[path.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(Number(arrayIndex(parent, last, true, where)), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc: Json, path: string[], where: string): Json {
  if (path.length === 0) throw new FhirHttpError(422, `${where}: cannot remove the whole resource`);
  const parent = asContainer(get(doc, path.slice(0, -1), where), where);
  const last = path[path.length - 1] as string;
  if (Array.isArray(parent)) {
    parent.splice(Number(arrayIndex(parent, last, false, where)), 1);
  } else {
    if (!Object.hasOwn(parent, last)) throw new FhirHttpError(422, `${where}: path does not exist`);
    delete parent[last];
  }
  return doc;
}

function asContainer(value: Json, where: string): Container {
  if (typeof value !== 'object' || value === null) {
    throw new FhirHttpError(422, `${where}: path goes through a value that is not an object or array`);
  }
  return value;
}

/** RFC 6902 §4.1: an index may equal the length (append) for `add`, and `-` means the end. */
function arrayIndex(array: Json[], segment: string, forAdd: boolean, where: string): string {
  if (forAdd && segment === '-') return String(array.length);
  if (!/^(0|[1-9][0-9]*)$/.test(segment))
    throw new FhirHttpError(422, `${where}: "${segment}" is not an array index`);
  const index = Number(segment);
  if (index > array.length || (!forAdd && index === array.length)) {
    throw new FhirHttpError(422, `${where}: index ${segment} is out of bounds`);
  }
  return segment;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i] as Json));
  }
  const objA = a as Record<string, Json>;
  const objB = b as Record<string, Json>;
  const keys = Object.keys(objA);
  return (
    keys.length === Object.keys(objB).length &&
    keys.every((key) => Object.hasOwn(objB, key) && deepEqual(objA[key] as Json, objB[key] as Json))
  );
}
