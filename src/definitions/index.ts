/** The FHIR package loader: what the IR and the CLI use from `src/definitions/`. */
export {
  CORE_VERSIONS,
  type CoreVersion,
  type CoreVersionId,
  canonicalPackageKey,
  equivalentNames,
  fhirVersionId,
  parsePackageSpec,
} from './aliases';
export { type CacheEntry, findCached, listCache, packageFolder } from './cache';
export { DefinitionIndex } from './definition-index';
export { type CachedPackage, ensurePackages, type FetchOptions, fetchPackages, importArchive } from './fetch';
export { type FolderReadOptions, readPackageFolder } from './folder';
export { type LocalOptions, loadLocalDefinitions } from './local';
export { fhirVersionOf, parsePackageFiles, readPackageArchive } from './package';
export {
  type FhirResourceJson,
  type LoadedPackage,
  type PackageId,
  type PackageManifest,
  packageKey,
} from './types';
