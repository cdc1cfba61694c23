/**
 * What a resource store offers the default services, the transaction Bundle and the health checks.
 * Two implementations: the embedded SQLite store (synchronous inside: its reads answer plain values)
 * and the PostgreSQL store (promises). Writes answer promises on both: they are group-committed
 * (group-commit.ts), settled once their transaction has committed. Callers `await` either.
 */
import type { ResourceJson } from '../binding';
import type { SearchQuery } from '../contracts';
import type { Awaitable, HistoryEntry, HistoryOptions, UpdateOptions } from '../service';

/** One write, as the search indexer sees it. `resource` is absent for a deletion. */
export interface StoreWriteEvent {
  kind: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  versionId: string;
  resource?: ResourceJson;
}

export interface StoreSearchResult {
  match: ResourceJson[];
  include?: ResourceJson[];
  total?: number;
  /** Paging links (`next`, `previous`, ...) as absolute URLs; see `SearchResult.links`. */
  links?: { relation: string; url: string }[];
}

/** A resource as its stored JSON text, which the server may send as it was cast before (see `searchText`). */
export interface StoredText {
  resourceType: string;
  id: string;
  text: string;
}

/** `StoreSearchResult` with each resource as its stored text. */
export interface StoreSearchTextResult extends Omit<StoreSearchResult, 'match' | 'include'> {
  match: StoredText[];
  include: StoredText[];
}

/** Which endpoint a search came through: its FHIR version (`r4` ...) and absolute base URL. */
export interface SearchContext {
  version: string;
  baseUrl: string;
}

export interface ResourceStore {
  /** `sqlite` (a file or in memory) or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  /** The current version; 404 when unknown, 410 when deleted. */
  read(resourceType: string, id: string): Awaitable<ResourceJson>;
  /**
   * The current version's stored JSON text, unparsed (404 and 410 as `read`). Stores that hold the
   * text at hand offer it, so that a read answered from the cast cache needs no parse.
   */
  readText?(resourceType: string, id: string): string;
  vread(resourceType: string, id: string, versionId: string): Awaitable<ResourceJson>;
  /** Stores a new resource, keeping `resource.id` when given; 409 when that id is taken. */
  create(resourceType: string, resource: ResourceJson): Awaitable<ResourceJson>;
  /** 412 when `If-Match` names another version; 405 when unknown and `allowCreate` is false. */
  update(
    resourceType: string,
    id: string,
    resource: ResourceJson,
    options: UpdateOptions,
  ): Awaitable<{ resource: ResourceJson; created: boolean }>;
  /** Marks the resource deleted (a tombstone); deleting an unknown or deleted resource changes nothing. */
  delete(resourceType: string, id: string): Awaitable<void>;
  /** Versions newest first, of one resource, one type, or everything (`resourceType` undefined). */
  history(resourceType: string | undefined, options: HistoryOptions): Awaitable<HistoryEntry[]>;
  search(query: SearchQuery, context?: SearchContext): Awaitable<StoreSearchResult>;
  /**
   * The same search with each resource as its stored JSON text, for a server that sends what it cast
   * from that text before; undefined when the store cannot answer it so (`_summary` and `_elements`
   * reshape the resources). Stores that hold text (SQLite) offer it.
   */
  searchText?(query: SearchQuery, context?: SearchContext): StoreSearchTextResult | undefined;
  /** Explicit transaction control for a transaction Bundle (http/bundle.ts). */
  begin(): Awaitable<void>;
  commit(): Awaitable<void>;
  rollback(): Awaitable<void>;
  /** Readiness: resolves when the backend answers, rejects otherwise. */
  ping(): Promise<void>;
  /** Releases the backend; safe to call more than once. */
  close(): Promise<void>;
}
