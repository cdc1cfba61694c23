/**
 * Default services backed by the resource store (embedded SQLite, or PostgreSQL by config). Generated service files call `storeService` and
 * users replace or wrap its methods to talk to their own systems.
 */
import type { ResourceService, ServiceMap } from '../service';
import type { ResourceStore } from './types';
import { writesStampedCopies } from './write-rules';

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

/** The `create` and `update` methods `storeService` made, with their store and type. */
const STORE_WRITES = new WeakMap<object, { store: ResourceStore; resourceType: string }>();

/**
 * The store and type behind a service's `create` or `update` when it is `storeService`'s own,
 * unreplaced and unwrapped, and the store is one of the product's stores, unaltered: its answer is
 * then the resource the handler gave it, copied, with only `id` and `meta.versionId`/`lastUpdated`
 * set (see `writesStampedCopies`).
 */
export function storeWriteOf(write: unknown): { store: ResourceStore; resourceType: string } | undefined {
  const direct = typeof write === 'function' ? STORE_WRITES.get(write) : undefined;
  return direct !== undefined && writesStampedCopies(direct.store) ? direct : undefined;
}

export function storeService(store: ResourceStore, resourceType: string): ResourceService {
  const read: NonNullable<ResourceService['read']> = (id) => store.read(resourceType, id);
  STORE_READS.set(read, { store, resourceType });
  const search: NonNullable<ResourceService['search']> = (query, ctx) =>
    store.search(query, { version: ctx.version, baseUrl: ctx.baseUrl });
  STORE_SEARCHES.set(search, { store, resourceType });
  const create: NonNullable<ResourceService['create']> = (resource) => store.create(resourceType, resource);
  const update: NonNullable<ResourceService['update']> = (id, resource, _ctx, options) =>
    store.update(resourceType, id, resource, options);
  STORE_WRITES.set(create, { store, resourceType });
  STORE_WRITES.set(update, { store, resourceType });
  return {
    read,
    vread: (id, versionId) => store.vread(resourceType, id, versionId),
    search,
    create,
    update,
    delete: (id) => store.delete(resourceType, id),
    history: (options) => store.history(resourceType, options),
  };
}

/** A store-backed service for each of the given resource types. */
export function storeServices(store: ResourceStore, resourceTypes: readonly string[]): ServiceMap {
  return Object.fromEntries(resourceTypes.map((type) => [type, storeService(store, type)]));
}
