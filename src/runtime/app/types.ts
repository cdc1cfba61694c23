/**
 * What a generated project hands the runtime: per FHIR version, its binding and a factory for its
 * services; and what each service factory receives.
 */
import type { ResourceJson, VersionBinding } from '../binding';
import type { ServiceContext } from '../contracts';
import type { CodeAncestors, ValueSetMembers } from '../search/terminology';
import type { Awaitable, ResourceLike, ResourceService, UpdateOptions } from '../service';
import type { ResourceStore } from '../store/types';

/** Handed to every service factory of a generated project. */
export interface ServiceDeps {
  /** The resource store: SQLite (a file, or in memory) or PostgreSQL, by config. */
  store: ResourceStore;
}

export interface VersionModule {
  binding: VersionBinding;
  /** Where the version is mounted unless the config says otherwise (`/r4`). */
  basePath: string;
  /** The version's search-parameter tables (`src/fhir/<version>/server/search-parameters.json`). */
  searchTables: Record<string, unknown>;
  /**
   * The version's ValueSets for `:in`/`:not-in` token searches (`src/fhir/<version>/server/value-sets.json`,
   * URL -> `system|code` members), loaded on the first such search.
   */
  valueSets?: () => ValueSetMembers;
  /** Code system hierarchies for `:above`/`:below` (`server/code-systems.json`), loaded on first use. */
  codeSystems?: () => CodeAncestors;
  createServices(deps: ServiceDeps): Readonly<Record<string, ResourceService>>;
}

/**
 * A resource service whose incoming resources are typed with the generated JSON interface of its
 * resource type (`PatientJson`); what it returns may be JSON or a class instance of the version.
 */
export interface TypedService<T extends object> extends ResourceService {
  create?(resource: T & ResourceJson, ctx: ServiceContext): Awaitable<ResourceLike>;
  update?(
    id: string,
    resource: T & ResourceJson,
    ctx: ServiceContext,
    options: UpdateOptions,
  ): Awaitable<ResourceLike | { resource: ResourceLike; created: boolean }>;
}
