import { FhirgenError } from '../errors';
import { typeNameOf } from './collect';
import type { RawElementDefinition, RawStructureDefinition } from './raw';

/** One class-shaped part of a definition: the type itself, or one of its backbone elements. */
export interface StructureNode {
  /** `Patient`, or `Patient.contact` for a backbone. */
  path: string;
  element: RawElementDefinition;
  /** Its direct child elements, in snapshot order. */
  children: RawElementDefinition[];
}

/** A definition's snapshot split into the type and its backbones, with lookups by path and name. */
export interface SplitDefinition {
  name: string;
  definition: RawStructureDefinition;
  root: StructureNode;
  /** Backbone elements (elements with children of their own), in snapshot order. */
  backbones: StructureNode[];
  elementsByPath: Map<string, RawElementDefinition>;
  /** DSTU2 `ElementDefinition.name` -> path, for `nameReference`. */
  pathsByName: Map<string, string>;
}

/**
 * Pass "structures": groups each snapshot's elements under their parent. Slices (STU3/R4 `sliceName`
 * or a `:` in the id; DSTU2 repeats the path) are left out: the IR describes the base structure.
 * An element that has child elements is a backbone and becomes a class of its own.
 */
export function splitDefinition(definition: RawStructureDefinition): SplitDefinition {
  const elements = definition.snapshot?.element ?? [];
  const first = elements[0];
  if (!first) {
    throw new FhirgenError('INVALID_DEFINITION', 'a StructureDefinition has no snapshot elements', {
      location: definition.url,
    });
  }
  const elementsByPath = new Map<string, RawElementDefinition>();
  const pathsByName = new Map<string, string>();
  const childrenByPath = new Map<string, RawElementDefinition[]>();
  for (const element of elements) {
    if ((element !== first && isSlice(element, first.id)) || elementsByPath.has(element.path)) continue;
    elementsByPath.set(element.path, element);
    if (element.name !== undefined && !pathsByName.has(element.name))
      pathsByName.set(element.name, element.path);
    const parent = parentPath(element.path);
    if (parent === undefined) continue;
    const siblings = childrenByPath.get(parent);
    if (siblings) siblings.push(element);
    else childrenByPath.set(parent, [element]);
  }
  const node = (element: RawElementDefinition): StructureNode => ({
    path: element.path,
    element,
    children: childrenByPath.get(element.path) ?? [],
  });
  const backbones = [...elementsByPath.values()]
    .filter((element) => element !== first && childrenByPath.has(element.path))
    .map(node);
  return {
    name: typeNameOf(definition),
    definition,
    root: node(first),
    backbones,
    elementsByPath,
    pathsByName,
  };
}

/**
 * A slice, or an element inside one: a `sliceName`, or a `:` in the id below the root. STU3 writes
 * the root of a constraint as a slice itself (`Quantity:simplequantity`, and every id under it), so
 * the root's own id is not counted.
 */
function isSlice(element: RawElementDefinition, rootId: string | undefined): boolean {
  if (typeof element.sliceName === 'string') return true;
  const id = element.id;
  if (id === undefined) return false;
  const below = rootId !== undefined && id.startsWith(`${rootId}.`) ? id.slice(rootId.length + 1) : id;
  return below.includes(':');
}

export function parentPath(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  return dot === -1 ? undefined : path.slice(0, dot);
}

export function lastPathSegment(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}
