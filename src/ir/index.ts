import type { LoadedPackage } from '../definitions/types';
import { packageKey } from '../definitions/types';
import { FhirgenError } from '../errors';
import { compare, nameBackbones } from './backbone-names';
import { boundValueSets } from './bound-value-sets';
import { buildStructure } from './build-types';
import { codeHierarchies } from './code-hierarchies';
import {
  type CollectedTypes,
  collectTypeDefinitions,
  isConstraint,
  type TypeCategory,
  typeNameOf,
} from './collect';
import { collectConstraints } from './constraints';
import { type DefinitionIndex, indexDefinitions } from './definition-index';
import type { TypeUniverse } from './element-types';
import { mergeTypes } from './element-types';
import { patientCompartment } from './patient-compartment';
import { buildPrimitives } from './primitives';
import { stripVersion } from './raw';
import { resolveRequiredBindings } from './required-bindings';
import { type ResourceLineage, searchParametersByResource } from './search-parameters';
import { splitDefinition } from './structures';
import { passTimer } from './timing';
import type { ComplexType, FhirModel, FhirVersionId, ResourceType, VersionInfo } from './types';
import { JSON_FORMATS, PRIMITIVE_REGEXES_FROM_TEXT } from './version-facts';

export { IR_RESOURCE_TYPES } from './definition-index';
export { allElements, allStructures, findType, indexTypes } from './lookup';
export * from './types';

const VERSIONS: Readonly<Record<FhirVersionId, { prefix: string; label: string }>> = {
  dstu2: { prefix: '1.0.', label: 'DSTU2' },
  stu3: { prefix: '3.0.', label: 'STU3' },
  r4: { prefix: '4.0.', label: 'R4' },
};

/**
 * Builds the typed model of one FHIR version from its packages (the core package, plus any others
 * whose definitions should be resolvable). Each pass is timed under `DEBUG=fhirgen:ir`.
 * Same packages in, identical model out: types are sorted by name, elements keep snapshot order.
 */
export function buildModel(packages: LoadedPackage[], versionId: FhirVersionId): FhirModel {
  const time = passTimer(versionId);
  const version = versionInfo(packages, versionId);
  const index = time('index definitions', () => indexDefinitions(packages));
  const collected = time('collect types', () => collectTypeDefinitions(index));
  const primitives = time('primitives', () =>
    buildPrimitives(collected.primitives, PRIMITIVE_REGEXES_FROM_TEXT[versionId]),
  );
  const structures = [...collected.complexTypes, ...collected.resources];
  const splits = time('structures', () => structures.map(splitDefinition));
  const universe = time('type universe', () => typeUniverse(collected));
  const backboneNames = time('backbone names', () => nameBackbones(splits, universe.categories.keys()));
  const built = time('elements', () =>
    splits.map((split) => buildStructure(split, backboneNames.get(split.name) ?? new Map(), universe)),
  );
  const complexTypes = built.filter((type): type is ComplexType => type.kind === 'complex-type');
  const resources = built.filter((type): type is ResourceType => type.kind === 'resource');
  time('required bindings', () => resolveRequiredBindings(built, index));
  time('search parameters', () => attachSearchParameters(resources, index));
  const compartment = time('patient compartment', () => patientCompartment(index, resources));
  const valueSets = time('bound value sets', () => boundValueSets(built, index));
  const hierarchies = time('code hierarchies', () => codeHierarchies(index));
  const constraints = time('constraints', () =>
    collectConstraints([...collected.primitives, ...structures], versionId),
  );
  return {
    version,
    json: { ...JSON_FORMATS[versionId] },
    primitives: primitives.sort(byName),
    complexTypes: complexTypes.sort(byName),
    resources: resources.sort(byName),
    patientCompartment: compartment,
    valueSets,
    codeHierarchies: hierarchies,
    constraints,
  };
}

function versionInfo(packages: LoadedPackage[], versionId: FhirVersionId): VersionInfo {
  const { prefix, label } = VERSIONS[versionId];
  const core = packages.find((pkg) => pkg.fhirVersion.startsWith(prefix));
  if (!core) {
    throw new FhirgenError('UNKNOWN_FHIR_VERSION', `none of the packages is for FHIR ${label} (${prefix}x)`, {
      location: packages.map((pkg) => packageKey(pkg.id)).join(', '),
      hint: `pass the ${versionId} core package`,
    });
  }
  return {
    id: versionId,
    fhirVersion: core.fhirVersion,
    label,
    packages: packages.map((pkg) => packageKey(pkg.id)),
  };
}

function typeUniverse(collected: CollectedTypes): TypeUniverse {
  const categories = new Map<string, TypeCategory>();
  for (const definition of collected.primitives) categories.set(typeNameOf(definition), 'primitive');
  for (const definition of collected.complexTypes) categories.set(typeNameOf(definition), 'complex');
  for (const definition of collected.resources) categories.set(typeNameOf(definition), 'resource');
  const constraintsByUrl = new Map<string, string>();
  for (const definition of collected.complexTypes) {
    if (isConstraint(definition)) constraintsByUrl.set(stripVersion(definition.url), typeNameOf(definition));
  }
  const universe: TypeUniverse = { categories, constraintsByUrl, openTypes: [] };
  const extension = collected.complexTypes.find((definition) => typeNameOf(definition) === 'Extension');
  const value = extension?.snapshot?.element.find((element) => element.path === 'Extension.value[x]');
  universe.openTypes = mergeTypes(value?.type ?? [], universe).map((type) => type.code);
  return universe;
}

function attachSearchParameters(resources: ResourceType[], index: DefinitionIndex): void {
  const byName = new Map(resources.map((resource) => [resource.name, resource]));
  const lineages: ResourceLineage[] = resources.map((resource) => {
    const lineage = [resource.name];
    for (
      let base = resource.base;
      base !== undefined && !lineage.includes(base);
      base = byName.get(base)?.base
    ) {
      lineage.push(base);
    }
    return { name: resource.name, abstract: resource.abstract, lineage };
  });
  const parameters = searchParametersByResource(index.searchParameters, lineages);
  for (const resource of resources) resource.searchParameters = parameters.get(resource.name) ?? [];
}

function byName(a: { name: string }, b: { name: string }): number {
  return compare(a.name, b.name);
}
