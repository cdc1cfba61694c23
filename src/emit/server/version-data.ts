/**
 * The facts a generated server needs about one FHIR version, emitted as plain JSON beside the version's
 * classes and schemas (`generated/<version>/server/`), so that `generate project` works offline from
 * the committed output. Everything here is read from the IR or the package table; nothing is keyed on
 * the version's name.
 */
import packageTable from '../../../definitions/packages.json';
import { FhirgenError } from '../../errors';
import type { BackboneType, Element, FhirModel, ResourceType } from '../../ir/types';
import { toSearchTable } from '../../runtime/search/from-ir';
import type { SearchTables } from '../../runtime/search/table';
import { type CompartmentParam, pathsOfExpression } from '../../runtime/security/compartment';

export interface VersionFacts {
  id: string;
  label: string;
  fhirVersion: string;
  /** The packages the version's code was generated from, as `name@version`. */
  packages: string[];
  /** The version's JSON media type (`application/json+fhir` in DSTU2). */
  mimeType: string;
  /** Where a generated server mounts the version unless configured otherwise. */
  basePath: string;
  /** The resource that describes a server: `CapabilityStatement`, or `Conformance` in DSTU2. */
  capabilityType: string;
  /** Interaction codes the capability resource allows per resource type and for the whole system. */
  interactionCodes: { resource: string[]; system: string[] };
  /** How an operation names its definition: a canonical (R4) or a Reference (STU3, DSTU2). */
  operationDefinition: 'canonical' | 'reference';
  /** Whether operations can be listed per resource type (`rest.resource.operation`, R4). */
  resourceOperations: boolean;
  /** Top-level elements of the capability resource with min >= 1. */
  capabilityRequired: string[];
  /** Every concrete resource type, sorted. */
  resourceTypes: string[];
  /** Where an OperationOutcome issue names the element: `expression` (STU3, R4) or `location` (DSTU2). */
  issuePathField: 'expression' | 'location';
  /** Resource types valid with nothing but `resourceType` (no required element or choice), sorted. */
  resourceTypesWithoutRequired: string[];
  patientCompartment: CompartmentFacts;
}

/**
 * The Patient compartment as a server checks it: per resource type in the compartment, the
 * parameters that place a resource there with the element paths their search expressions read.
 * Types not listed are outside the compartment.
 */
export interface CompartmentFacts {
  /** As the IR says: the version's CompartmentDefinition, or its reference parameters (DSTU2). */
  source: string;
  resources: Record<string, CompartmentParam[]>;
}

interface PackageVersion {
  id: string;
  label: string;
  fhirVersion: string;
  mimeType: string;
  basePath: string;
}

/** The `server/` files of one version: facts, search tables, ValueSets and code hierarchies. */
export function emitServerData(model: FhirModel): Map<string, string> {
  const files = new Map<string, string>();
  const tables = searchTables(model);
  files.set('server/version.json', json(versionFacts(model, tables)));
  files.set('server/search-parameters.json', json(tables));
  files.set('server/value-sets.json', json(valueSetMembers(model)));
  files.set('server/code-systems.json', json(codeAncestors(model)));
  return files;
}

/** Code system URL -> code -> its ancestors, nearest first, for `:above`/`:below` (search.html#token). */
export function codeAncestors(model: FhirModel): Record<string, Record<string, string[]>> {
  return Object.fromEntries(
    model.codeHierarchies.map((hierarchy) => [hierarchy.system, hierarchy.ancestors]),
  );
}

/**
 * The bound ValueSets a server can answer `:in`/`:not-in` with: URL -> members as `system|code`, the
 * form token search values take (https://hl7.org/fhir/R4/search.html#token).
 */
export function valueSetMembers(model: FhirModel): Record<string, string[]> {
  return Object.fromEntries(
    model.valueSets.map((valueSet) => [
      valueSet.url,
      valueSet.members.map((member) => `${member.system}|${member.code}`),
    ]),
  );
}

export function versionFacts(model: FhirModel, tables = searchTables(model)): VersionFacts {
  const table = (packageTable.versions as PackageVersion[]).find((entry) => entry.id === model.version.id);
  if (!table) {
    throw new FhirgenError('UNKNOWN_FHIR_VERSION', `no package table entry for ${model.version.id}`, {
      location: 'definitions/packages.json',
    });
  }
  const capability = capabilityResource(model);
  const interaction = (suffix: string) =>
    requiredCodes(capability, `${capability.name}.rest.${suffix}.code`, model.version.id);
  const concrete = model.resources.filter((resource) => !resource.abstract);
  const definition = findElement(capability, `${capability.name}.rest.resource.operation.definition`);
  const systemDefinition = findElement(capability, `${capability.name}.rest.operation.definition`);
  return {
    id: model.version.id,
    label: table.label,
    fhirVersion: model.version.fhirVersion,
    packages: [...model.version.packages],
    mimeType: table.mimeType,
    basePath: table.basePath,
    capabilityType: capability.name,
    interactionCodes: { resource: interaction('resource.interaction'), system: interaction('interaction') },
    resourceOperations: definition !== undefined,
    operationDefinition:
      (definition ?? systemDefinition)?.type.kind === 'primitive' ? 'canonical' : 'reference',
    capabilityRequired: capability.elements
      .filter((element) => element.min >= 1)
      .map((element) => element.name),
    issuePathField: issuePathField(model),
    resourceTypes: concrete.map((resource) => resource.name).sort(),
    resourceTypesWithoutRequired: concrete
      .filter((resource) => !resource.elements.some((element) => element.min >= 1))
      .filter((resource) => !resource.choices.some((choice) => choice.min >= 1))
      .map((resource) => resource.name)
      .sort(),
    patientCompartment: compartmentFacts(model, tables),
  };
}

/**
 * Each listed parameter resolved to element paths through the type's search table (DSTU2 expressions
 * come from its XPath there). A parameter that selects no element of the resource itself is left
 * out: STU3's chained ones (`AuditEvent` `agent.patient`, `Provenance` `target.subject`) name the
 * resource a reference points at, which a check of one resource cannot see.
 */
function compartmentFacts(model: FhirModel, tables: SearchTables): CompartmentFacts {
  const resources: Record<string, CompartmentParam[]> = {};
  for (const member of model.patientCompartment.members) {
    const table = tables[member.resourceType];
    const params: CompartmentParam[] = [];
    for (const name of member.params) {
      const expression = table?.params[name]?.expression;
      const paths = expression === undefined ? [] : pathsOfExpression(expression, member.resourceType);
      if (paths.length > 0) params.push({ name, paths });
    }
    resources[member.resourceType] = params;
  }
  return { source: model.patientCompartment.source, resources };
}

/** FHIRPath `expression` when the version's OperationOutcome has it, else the older XPath `location`. */
function issuePathField(model: FhirModel): 'expression' | 'location' {
  const outcome = model.resources.find((resource) => resource.name === 'OperationOutcome');
  const hasExpression = outcome?.backbones.some((backbone) =>
    backbone.elements.some((element) => element.path === 'OperationOutcome.issue.expression'),
  );
  return hasExpression ? 'expression' : 'location';
}

function searchTables(model: FhirModel): SearchTables {
  const tables: SearchTables = {};
  for (const resource of [...model.resources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!resource.abstract) tables[resource.name] = toSearchTable(resource);
  }
  return tables;
}

/** The resource whose `rest.resource.interaction.code` lists server interactions (http.html). */
function capabilityResource(model: FhirModel): ResourceType {
  const found = model.resources.find(
    (resource) => findElement(resource, `${resource.name}.rest.resource.interaction.code`) !== undefined,
  );
  if (!found) {
    throw new FhirgenError('INVALID_DEFINITION', 'no resource describes server capabilities', {
      location: model.version.packages.join(', '),
    });
  }
  return found;
}

function findElement(resource: ResourceType, path: string): Element | undefined {
  const owners: (ResourceType | BackboneType)[] = [resource, ...resource.backbones];
  for (const owner of owners) {
    const element = owner.elements.find((candidate) => candidate.path === path);
    if (element) return element;
  }
  return undefined;
}

function requiredCodes(resource: ResourceType, path: string, version: string): string[] {
  const codes = findElement(resource, path)?.binding?.codes;
  if (!codes || codes.length === 0) {
    throw new FhirgenError('INVALID_DEFINITION', `${path} has no required codes in ${version}`, {
      location: path,
    });
  }
  return [...codes];
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
