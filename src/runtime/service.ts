/**
 * The per-resource service interface that generated service files implement. Every method is
 * optional: the server routes an interaction only when the service implements it, and the
 * capability statement lists exactly those. Methods may return plain JSON or class instances,
 * synchronously or as a promise; the server casts every result to the route version's class.
 */
import type { ResourceJson } from './binding';
import type { SearchQuery, ServiceContext } from './contracts';

export type Awaitable<T> = T | Promise<T>;

/** What a service may return as a resource: JSON or a generated class instance (serialised with JSON.stringify). */
export type ResourceLike = ResourceJson | { toJSON(): unknown } | object;

/** One JSON Patch operation (RFC 6902 §4). */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

export interface UpdateOptions {
  /** The version the client expects (`If-Match`); the service must refuse other versions (412). */
  ifMatch?: string;
  /** Whether an update of an unknown id may create it (https://hl7.org/fhir/R4/http.html#upsert). */
  allowCreate: boolean;
}

/** An update's answer: `created` tells 201 from 200. A bare resource means an update (200). */
export interface UpdateResult {
  resource: ResourceLike;
  created: boolean;
}

/** A search's answer: the matches, resources included by `_include`/`_revinclude`, and the total. */
export interface SearchResult {
  match: ResourceLike[];
  include?: ResourceLike[];
  total?: number;
  /**
   * The Bundle's links as absolute URLs (https://hl7.org/fhir/R4/http.html#paging), for services
   * that page themselves (keyset cursors and the like). Without them the server links `self`, and
   * `next` by `_offset` when `total` says there is more.
   */
  links?: { relation: string; url: string }[];
}

export interface HistoryOptions {
  /** Absent for type-level history. */
  id?: string;
  /** `_since`, an instant. */
  since?: string;
  count?: number;
}

/** One version in a history Bundle (https://hl7.org/fhir/R4/http.html#history). */
export interface HistoryEntry {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absent for a deletion. */
  resource?: ResourceLike;
}

export interface OperationInput {
  /** The instance id, for instance-level calls. */
  id?: string;
  /** Parameters from the query string (GET) or the `Parameters` body (POST), as name/value pairs. */
  params: [string, string][];
  /** The POST body as sent (usually a `Parameters` resource). */
  body?: unknown;
}

/** A custom operation a service declares, routed as `/<Type>/$<name>` and/or `/<Type>/<id>/$<name>`. */
export interface OperationDeclaration {
  /** Without the `$`. */
  name: string;
  type?: boolean;
  instance?: boolean;
  /** Operations that change state are POST only (https://hl7.org/fhir/R4/operations.html#request). */
  affectsState?: boolean;
  /** Canonical URL of its OperationDefinition, listed in the capability statement. */
  definition?: string;
  handler(input: OperationInput, ctx: ServiceContext): Awaitable<ResourceLike>;
}

export interface ResourceService {
  /** Undefined (or null) means unknown id: 404. Throw `FhirHttpError(410)` for a deleted one. */
  read?(id: string, ctx: ServiceContext): Awaitable<ResourceLike | undefined | null>;
  vread?(id: string, versionId: string, ctx: ServiceContext): Awaitable<ResourceLike | undefined | null>;
  search?(query: SearchQuery, ctx: ServiceContext): Awaitable<SearchResult | ResourceLike[]>;
  /**
   * The resource arrives validated and without an `id`, except inside a transaction, where the
   * server assigns the id beforehand so that `urn:uuid:` references between entries can be
   * rewritten (https://hl7.org/fhir/R4/http.html#trules); a service should keep an id it is given.
   */
  create?(resource: ResourceJson, ctx: ServiceContext): Awaitable<ResourceLike>;
  update?(
    id: string,
    resource: ResourceJson,
    ctx: ServiceContext,
    options: UpdateOptions,
  ): Awaitable<UpdateResult | ResourceLike>;
  /** Optional: without it, patch is served by read + update when the service has both. */
  patch?(
    id: string,
    patch: JsonPatchOperation[],
    ctx: ServiceContext,
    options: UpdateOptions,
  ): Awaitable<ResourceLike>;
  delete?(id: string, ctx: ServiceContext): Awaitable<void>;
  history?(options: HistoryOptions, ctx: ServiceContext): Awaitable<HistoryEntry[]>;
  operations?: OperationDeclaration[];
}

/** The services of one version, by resource type. */
export type ServiceMap = Readonly<Record<string, ResourceService>>;
