import type { Element, PrimitiveType } from '../../ir/types';
import { nullableName } from './primitives';
import { definitionRef, type JsonSchema } from './runtime/document';

/** What element schemas need to know about the model's types. */
export interface TypeIndex {
  primitives: Map<string, PrimitiveType>;
  /** Backbone class names by the path that defines them, to resolve `contentReference`. */
  backbonesByPath: Map<string, string>;
  backboneNames: Set<string>;
  /** The definition `_x` objects follow: the `Element` data type (id and extension). */
  primitiveElement: string;
  /**
   * The property every object may carry comments in (DSTU2 `fhir_comments`), validated by the definition
   * of that name; absent when the version has none.
   */
  commentsProperty?: string;
}

/** The properties one element contributes: `name`, plus `_name` for primitives. */
export function elementProperties(element: Element, index: TypeIndex): [string, JsonSchema][] {
  const primitive = element.type.kind === 'primitive';
  const value = wrap(element, valueSchema(element, index, primitive && element.isArray));
  if (!primitive) return [[element.name, value]];
  // A primitive's id and extensions travel in `_name`; arrays of them line up with the value array,
  // with null where an item has none (https://hl7.org/fhir/R4/json.html#primitive).
  const extensionItem = element.isArray ? nullableName(index.primitiveElement) : index.primitiveElement;
  return [
    [element.name, value],
    [`_${element.name}`, wrap(element, definitionRef(extensionItem))],
  ];
}

/** `max = *` (or a base max above 1) is a JSON array, never empty; otherwise a single value. */
function wrap(element: Element, item: JsonSchema): JsonSchema {
  if (!element.isArray) return item;
  const array: JsonSchema = { type: 'array', minItems: 1, items: item };
  if (typeof element.max === 'number') array.maxItems = element.max;
  return array;
}

function valueSchema(element: Element, index: TypeIndex, nullableItems: boolean): JsonSchema {
  const type = element.type;
  switch (type.kind) {
    case 'primitive':
      return primitiveValue(element, type.name, index, nullableItems);
    case 'complex':
      return definitionRef(type.name);
    case 'backbone':
      return definitionRef(backboneName(element, type.name, index));
    case 'resource':
      return { fhirResource: type.name };
  }
}

/** Codes of a required binding replace the primitive's own rule: they are valid codes already. */
function primitiveValue(
  element: Element,
  name: string,
  index: TypeIndex,
  nullableItems: boolean,
): JsonSchema {
  const binding = element.binding;
  const codes = binding?.strength === 'required' ? binding.codes : undefined;
  if (codes === undefined || codes.length === 0) {
    return definitionRef(nullableItems ? nullableName(name) : name);
  }
  const jsonType = index.primitives.get(name)?.jsonType ?? 'string';
  const schema: JsonSchema = {
    fhirType: name,
    type: nullableItems ? [jsonType, 'null'] : jsonType,
    enum: nullableItems ? [...codes, null] : [...codes],
  };
  if (binding?.valueSet !== undefined) schema.fhirValueSet = binding.valueSet;
  return schema;
}

/** A `contentReference` element reuses the structure of the backbone defined at the referenced path. */
function backboneName(element: Element, name: string, index: TypeIndex): string {
  if (element.contentReference === undefined || index.backboneNames.has(name)) return name;
  const target = element.contentReference.replace(/^#/, '');
  return index.backbonesByPath.get(target) ?? name;
}
