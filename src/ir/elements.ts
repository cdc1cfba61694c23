import { FhirgenError } from '../errors';
import { pascalCase } from './backbone-names';
import { normaliseBinding } from './bindings';
import { elementTypes, type TypeUniverse, toTypeRef } from './element-types';
import type { RawElementDefinition } from './raw';
import { lastPathSegment, type SplitDefinition, type StructureNode } from './structures';
import type { ChoiceGroup, Element, TypeRef } from './types';
import { asPath } from './types';

/** What building one definition's elements needs besides the definition itself. */
export interface ElementContext {
  universe: TypeUniverse;
  /** Backbone path -> class name, for this definition. */
  backboneNames: Map<string, string>;
  split: SplitDefinition;
}

/**
 * Pass "elements": the elements of one class (a type or a backbone), in snapshot order, with
 * cardinality, type, binding and flags; choice elements (`value[x]`) expanded to one element per
 * type and a ChoiceGroup (https://hl7.org/fhir/R4/formats.html#choice).
 */
export function buildMembers(
  node: StructureNode,
  context: ElementContext,
): { elements: Element[]; choices: ChoiceGroup[] } {
  const elements: Element[] = [];
  const choices: ChoiceGroup[] = [];
  for (const raw of node.children) {
    const name = lastPathSegment(raw.path);
    if (name.endsWith('[x]')) {
      const group = name.slice(0, -'[x]'.length);
      const variants = choiceVariants(raw, group, context);
      elements.push(...variants);
      choices.push({
        name: group,
        path: asPath(raw.path),
        min: raw.min ?? 0,
        variants: variants.map((v) => v.name),
      });
    } else {
      elements.push(buildElement(raw, name, elementType(raw, context), context));
    }
  }
  return { elements, choices };
}

/**
 * Each variant is named after its type (`valueQuantity`). Its `min` is 0: at most one variant is
 * present, and whether one must be is the group's `min`.
 */
function choiceVariants(raw: RawElementDefinition, group: string, context: ElementContext): Element[] {
  const types = elementTypes(raw, context.universe);
  if (types.length === 0) throw untyped(raw, context);
  return types.map((type) => {
    const name = `${group}${pascalCase(type.code)}`;
    const element = buildElement(raw, name, toTypeRef(type, context.universe, raw.path), context);
    element.min = 0;
    element.choice = { group, path: asPath(raw.path) };
    return element;
  });
}

/** The type of a non-choice element: its backbone class, the structure it references, or its one type. */
function elementType(raw: RawElementDefinition, context: ElementContext): TypeRef {
  const backbone = context.backboneNames.get(raw.path);
  if (backbone !== undefined) return { kind: 'backbone', name: backbone };
  const referenced = contentReferenceOf(raw, context);
  if (referenced !== undefined) return referencedType(raw, referenced, context);
  const types = elementTypes(raw, context.universe);
  const [only] = types;
  if (only === undefined) throw untyped(raw, context);
  if (types.length > 1) {
    throw new FhirgenError(
      'INVALID_DEFINITION',
      `an element that is not a choice has ${types.length} types (${types.map((t) => t.code).join(', ')})`,
      { location: `${context.split.definition.url} ${raw.path}` },
    );
  }
  return toTypeRef(only, context.universe, raw.path);
}

/**
 * The path an element reuses the structure of: STU3/R4 `contentReference: "#Questionnaire.item"`,
 * DSTU2 `nameReference: "group"` (the `name` of an element of the same definition).
 */
export function contentReferenceOf(raw: RawElementDefinition, context: ElementContext): string | undefined {
  if (raw.contentReference !== undefined) {
    const hash = raw.contentReference.indexOf('#');
    return raw.contentReference.slice(hash + 1);
  }
  if (raw.nameReference !== undefined) {
    const path = context.split.pathsByName.get(raw.nameReference);
    if (path === undefined) throw badReference(raw, raw.nameReference, context);
    return path;
  }
  return undefined;
}

function referencedType(raw: RawElementDefinition, path: string, context: ElementContext): TypeRef {
  const backbone = context.backboneNames.get(path);
  if (backbone !== undefined) return { kind: 'backbone', name: backbone };
  const target = context.split.elementsByPath.get(path);
  if (!target) throw badReference(raw, path, context);
  return elementType(target, context);
}

function buildElement(
  raw: RawElementDefinition,
  name: string,
  type: TypeRef,
  context: ElementContext,
): Element {
  const element: Element = {
    name,
    path: asPath(raw.path),
    min: raw.min ?? 0,
    max: maxOf(raw.max),
    isArray: isArrayInJson(raw),
    type,
    isModifier: raw.isModifier === true,
    isSummary: raw.isSummary === true,
    short: raw.short ?? '',
  };
  const reference = contentReferenceOf(raw, context);
  if (reference !== undefined) element.contentReference = asPath(reference);
  const binding = raw.binding ? normaliseBinding(raw.binding) : undefined;
  if (binding) element.binding = binding;
  const fixed = valueWithPrefix(raw, 'fixed');
  if (fixed !== undefined) element.fixed = fixed;
  const pattern = valueWithPrefix(raw, 'pattern');
  if (pattern !== undefined) element.pattern = pattern;
  return element;
}

function maxOf(max: string | undefined): number | '*' {
  if (max === undefined || max === '*') return max === '*' ? '*' : 1;
  return Number(max);
}

/**
 * JSON arrays follow the base definition's cardinality, not a profile's: an element that may repeat
 * in the base is always an array (https://hl7.org/fhir/R4/json.html#cardinality).
 */
function isArrayInJson(raw: RawElementDefinition): boolean {
  const max = raw.base?.max ?? raw.max ?? '1';
  return max === '*' || Number(max) > 1;
}

/** `fixedCode`, `patternCodeableConcept` ...: ElementDefinition.fixed[x] / pattern[x]. */
function valueWithPrefix(raw: RawElementDefinition, prefix: 'fixed' | 'pattern'): unknown {
  for (const key of Object.keys(raw)) {
    if (key.startsWith(prefix) && key.length > prefix.length && /[A-Z]/.test(key.charAt(prefix.length))) {
      return raw[key];
    }
  }
  return undefined;
}

function untyped(raw: RawElementDefinition, context: ElementContext): FhirgenError {
  return new FhirgenError('INVALID_DEFINITION', 'an element has neither a type nor a content reference', {
    location: `${context.split.definition.url} ${raw.path}`,
  });
}

function badReference(raw: RawElementDefinition, target: string, context: ElementContext): FhirgenError {
  return new FhirgenError(
    'INVALID_DEFINITION',
    `an element references ${target}, which the definition does not have`,
    {
      location: `${context.split.definition.url} ${raw.path}`,
    },
  );
}
