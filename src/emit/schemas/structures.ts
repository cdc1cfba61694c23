import type { BackboneType, ComplexType, Element, ResourceType } from '../../ir/types';
import { elementProperties, type TypeIndex } from './elements';
import { type ChoiceRule, definitionRef, type JsonSchema } from './runtime/document';

type Structure = ComplexType | BackboneType | ResourceType;

/**
 * The schema of a resource, data type or backbone element: an object with exactly the properties the
 * type defines (https://hl7.org/fhir/R4/json.html: unknown properties are errors), plus the comments of
 * versions that have them, its required elements, and its choice groups.
 */
export function structureSchema(type: Structure, index: TypeIndex): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const requiredPrimitives: string[] = [];
  const aligned: string[] = [];
  if (type.kind === 'resource') {
    // Every resource names its type (https://hl7.org/fhir/R4/json.html#resources).
    properties.resourceType = { const: type.name };
    required.push('resourceType');
  }
  // Every object may carry them, so `_x` objects too, which follow the Element definition.
  const comments = index.commentsProperty;
  if (comments !== undefined) properties[comments] = definitionRef(comments);
  for (const element of type.elements) {
    if (element.max === 0) continue;
    for (const [name, schema] of elementProperties(element, index)) properties[name] = schema;
    const primitive = element.type.kind === 'primitive';
    if (primitive && element.isArray) aligned.push(element.name);
    if (isRequired(element)) (primitive ? requiredPrimitives : required).push(element.name);
  }
  const schema: JsonSchema = { fhirType: type.name, type: 'object' };
  // Resources may hold nothing but their resourceType; elements must have a value or children (ele-1).
  if (type.kind !== 'resource') schema.minProperties = 1;
  schema.additionalProperties = false;
  schema.properties = properties;
  if (required.length > 0) schema.required = required;
  if (requiredPrimitives.length > 0) schema.fhirRequired = requiredPrimitives;
  const choices = type.choices.map(
    (group): ChoiceRule => ({ name: group.name, path: group.path, min: group.min, variants: group.variants }),
  );
  if (choices.length > 0) schema.fhirChoices = choices;
  if (aligned.length > 0) schema.fhirAligned = aligned;
  return schema;
}

/** Choice variants are never required one by one: their group's min applies to the group. */
function isRequired(element: Element): boolean {
  return element.min >= 1 && element.choice === undefined;
}
