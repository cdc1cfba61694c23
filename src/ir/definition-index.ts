import type { LoadedPackage } from '../definitions/types';
import type {
  RawCodeSystem,
  RawCompartmentDefinition,
  RawSearchParameter,
  RawStructureDefinition,
  RawValueSet,
} from './raw';
import { stripVersion } from './raw';

/**
 * The definitional resources of a set of packages, by canonical URL. The same resource can appear
 * twice in one package (DSTU2 ships each definition both as a file and inside a Bundle); the first
 * occurrence wins, packages in the order given, so the result does not depend on anything else.
 */
export interface DefinitionIndex {
  structureDefinitions: Map<string, RawStructureDefinition>;
  valueSets: Map<string, RawValueSet>;
  codeSystems: Map<string, RawCodeSystem>;
  searchParameters: RawSearchParameter[];
  compartmentDefinitions: Map<string, RawCompartmentDefinition>;
}

/** The resource types the IR reads: a loader may skip every other file of a package. */
export const IR_RESOURCE_TYPES: readonly string[] = [
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'SearchParameter',
  'CompartmentDefinition',
];

export function indexDefinitions(packages: LoadedPackage[]): DefinitionIndex {
  const index: DefinitionIndex = {
    structureDefinitions: new Map(),
    valueSets: new Map(),
    codeSystems: new Map(),
    searchParameters: [],
    compartmentDefinitions: new Map(),
  };
  const searchParameterKeys = new Set<string>();
  for (const pkg of packages) {
    for (const resource of pkg.resources) {
      switch (resource.resourceType) {
        case 'StructureDefinition':
          addOnce(index.structureDefinitions, resource as unknown as RawStructureDefinition);
          break;
        case 'ValueSet':
          addOnce(index.valueSets, resource as unknown as RawValueSet);
          break;
        case 'CodeSystem':
          addOnce(index.codeSystems, resource as unknown as RawCodeSystem);
          break;
        case 'CompartmentDefinition':
          addOnce(index.compartmentDefinitions, resource as unknown as RawCompartmentDefinition);
          break;
        case 'SearchParameter': {
          const parameter = resource as unknown as RawSearchParameter;
          const key = parameter.url ?? parameter.id ?? '';
          if (searchParameterKeys.has(key)) break;
          searchParameterKeys.add(key);
          index.searchParameters.push(parameter);
          break;
        }
      }
    }
  }
  return index;
}

function addOnce<T extends { url: string }>(map: Map<string, T>, resource: T): void {
  if (typeof resource.url !== 'string') return;
  const url = stripVersion(resource.url);
  if (!map.has(url)) map.set(url, resource);
}
