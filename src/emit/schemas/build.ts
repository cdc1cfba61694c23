import type { FhirModel, ResourceType } from '../../ir/types';
import type { TypeIndex } from './elements';
import { nullable, nullableName, primitiveSchema } from './primitives';
import type { JsonSchema, ResourceInfo, SchemaDocument } from './runtime/document';
import { structureSchema } from './structures';

/** The data type `_x` objects follow: FHIR's root `Element` (id and extension). */
const PRIMITIVE_ELEMENT = 'Element';

/**
 * The comments a version's JSON may carry on any object (DSTU2 `fhir_comments`): an array of strings,
 * never empty as no FHIR JSON array is (https://hl7.org/fhir/DSTU2/json.html).
 */
function commentsSchema(): JsonSchema {
  return { type: 'array', minItems: 1, items: { fhirType: 'comment', type: 'string' } };
}

/**
 * One JSON Schema document for a FHIR version: a definition per primitive (and its nullable form, for
 * array items), per data type, per backbone element and per concrete resource. Everything comes from the
 * IR; the document's `fhirgen` block carries what the runtime needs for dispatch and messages.
 */
export function buildSchemaDocument(model: FhirModel): SchemaDocument {
  const index = typeIndex(model);
  const definitions: Record<string, JsonSchema> = {};
  if (index.commentsProperty !== undefined) definitions[index.commentsProperty] = commentsSchema();
  for (const primitive of sortByName(model.primitives)) {
    const schema = primitiveSchema(primitive);
    definitions[primitive.name] = schema;
    definitions[nullableName(primitive.name)] = nullable(schema);
  }
  for (const type of sortByName(model.complexTypes)) {
    definitions[type.name] = structureSchema(type, index);
    for (const backbone of type.backbones) definitions[backbone.name] = structureSchema(backbone, index);
  }
  const element = definitions[PRIMITIVE_ELEMENT];
  if (element !== undefined) definitions[nullableName(PRIMITIVE_ELEMENT)] = nullable(element);
  for (const resource of sortByName(model.resources)) {
    if (!resource.abstract) definitions[resource.name] = structureSchema(resource, index);
    for (const backbone of resource.backbones) definitions[backbone.name] = structureSchema(backbone, index);
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://fhirgen.dev/schemas/${model.version.fhirVersion}/fhir.schema.json`,
    fhirgen: {
      fhirVersion: model.version.fhirVersion,
      label: model.version.label,
      packages: model.version.packages,
      resources: resourceInfo(model.resources),
      issueLocation: issueLocationField(model),
    },
    definitions,
  };
}

function typeIndex(model: FhirModel): TypeIndex {
  const backbonesByPath = new Map<string, string>();
  for (const owner of [...model.complexTypes, ...model.resources]) {
    for (const backbone of owner.backbones) backbonesByPath.set(backbone.path, backbone.name);
  }
  const index: TypeIndex = {
    primitives: new Map(model.primitives.map((primitive) => [primitive.name, primitive])),
    backbonesByPath,
    backboneNames: new Set(backbonesByPath.values()),
    primitiveElement: PRIMITIVE_ELEMENT,
  };
  if (model.json.commentsProperty !== undefined) index.commentsProperty = model.json.commentsProperty;
  return index;
}

function resourceInfo(resources: ResourceType[]): Record<string, ResourceInfo> {
  const info: Record<string, ResourceInfo> = {};
  for (const resource of sortByName(resources)) {
    info[resource.name] =
      resource.base === undefined
        ? { abstract: resource.abstract }
        : { base: resource.base, abstract: resource.abstract };
  }
  return info;
}

/**
 * DSTU2's OperationOutcome.issue has only `location`; STU3 added `expression` for FHIRPath
 * (https://hl7.org/fhir/STU3/operationoutcome-definitions.html#OperationOutcome.issue.expression).
 */
function issueLocationField(model: FhirModel): 'expression' | 'location' {
  const outcome = model.resources.find((resource) => resource.name === 'OperationOutcome');
  if (outcome === undefined) return 'expression';
  const issue = outcome.backbones.find((backbone) => backbone.path === 'OperationOutcome.issue');
  const hasExpression = issue?.elements.some((element) => element.name === 'expression') ?? true;
  return hasExpression ? 'expression' : 'location';
}

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
