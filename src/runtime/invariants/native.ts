/**
 * The two constraints that hold on nearly every node, evaluated as JavaScript rather than through
 * the FHIRPath engine: `ele-1` (every element, https://hl7.org/fhir/R4/element.html#invs) and
 * `ext-1` (every extension, https://hl7.org/fhir/R4/extensibility.html#invs). R4 repeats them on
 * each of its 6,691 and 1,000-odd snapshot elements; through the engine they cost about as much as
 * all the other constraints of a resource together (figures in evaluator.ts). Each function says
 * exactly what the published expression says, on JSON; test/invariants-native.test.ts compares both
 * on every node of a sample of official examples.
 */
import type { JsonObject } from './functions';

/** Properties that are not children in FHIRPath terms: `id` is counted apart, DSTU2 comments are not elements. */
const NOT_CHILDREN = new Set(['id', 'fhir_comments']);

/** `ele-1`: `hasValue() or (children().count() > id.count())`, for an object node. */
export function ele1Object(node: JsonObject): boolean {
  for (const key of Object.keys(node)) if (!NOT_CHILDREN.has(key)) return true;
  return false;
}

/** `ele-1` for a primitive: a value, or extensions in its `_name` object. */
export function ele1Primitive(value: unknown, sibling: unknown): boolean {
  if (value !== undefined && value !== null) return true;
  return sibling !== null && typeof sibling === 'object' && ele1Object(sibling as JsonObject);
}

/** `ext-1`: `extension.exists() != value.exists()`: an extension has nested extensions or a value, not both. */
export function ext1(node: JsonObject): boolean {
  const nested = Array.isArray(node.extension) && node.extension.length > 0;
  const value = Object.keys(node).some((key) => key.startsWith('value'));
  return nested !== value;
}

export const NATIVE_KEYS = new Set(['ele-1', 'ext-1']);
