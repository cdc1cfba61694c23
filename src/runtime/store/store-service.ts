/**
 * Default services backed by the resource store (embedded SQLite, or PostgreSQL by config). Generated service files call `storeService` and
 * users replace or wrap its methods to talk to their own systems.
 */
import type { ResourceService, ServiceMap } from '../service';
import type { ResourceStore } from './types';

/** The `read` methods `storeService` made, with their store: still one of these, a read may skip the service. */
const STORE_READS = new WeakMap<object, { store: ResourceStore; resourceType: string }>();

/**
 * The store and type behind a service's `read` when it is `storeService`'s own, unreplaced and
 * unwrapped; the handler then reads the stored text itself (see `readStoredText`).
 */
export function storeReadOf(read: unknown): { store: ResourceStore; resourceType: string } | undefined {
  return typeof read === 'function' ? STORE_READS.get(read) : undefined;
}

/** The `search` methods `storeService` made, with their store: the handler may ask for stored text. */
const STORE_SEARCHES = new WeakMap<object, { store: ResourceStore; resourceType: string }>();

/**
 * The store and type behind a service's `search` when it is `storeService`'s own, unreplaced and
 * unwrapped; the handler then asks the store for the stored texts (see `searchStoredText`).
 */
export function storeSearchOf(search: unknown): { store: ResourceStore; resourceType: string } | undefined {
  return typeof search === 'function' ? STORE_SEARCHES.get(search) : undefined;
}

export function storeService(store: ResourceStore, resourceType: string): ResourceService {
  const read: NonNullable<ResourceService['read']> = (id) => store.read(resourceType, id);
  STORE_READS.set(read, { store, resourceType });
  const search: NonNullable<ResourceService['search']> = (query, ctx) =>
    store.search(query, { version: ctx.version, baseUrl: ctx.baseUrl });
  STORE_SEARCHES.set(search, { store, resourceType });
  return {
    read,
    vread: (id, versionId) => store.vread(resourceType, id, versionId),
    search,
    create: (resource) => store.create(resourceType, resource),
    update: (id, resource, _ctx, options) => store.update(resourceType, id, resource, options),
    delete: (id) => store.delete(resourceType, id),
    history: (options) => store.history(resourceType, options),
  };
}

/** A store-backed service for each of the given resource types. */
export function storeServices(store: ResourceStore, resourceTypes: readonly string[]): ServiceMap {
  return Object.fromEntries(resourceTypes.map((type) => [type, storeService(store, type)]));
}
