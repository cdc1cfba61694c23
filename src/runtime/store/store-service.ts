/**
 * Default services backed by the resource store (embedded SQLite, or PostgreSQL by config). Generated service files call `storeService` and
 * users replace or wrap its methods to talk to their own systems.
 */
import type { ResourceService, ServiceMap } from '../service';
import type { ResourceStore } from './types';
import { writesStampedCopies } from './write-rules';

type StoreMethod = 'read' | 'search' | 'create' | 'update';

/** The methods `storeService` made, with their store, type and name. */
const STORE_METHODS = new WeakMap<
  object,
  { store: ResourceStore; resourceType: string; method: StoreMethod }
>();

/**
 * The store behind `service[method]` when that method is `storeService`'s own for `resourceType`,
 * unreplaced and unwrapped, so that the handler may take the store's short path: a read or search
 * as stored text (`readStoredText`, `searchStoredText`), a write validated once (`writeCastUse`).
 * For `create` and `update` only on one of the product's stores, unaltered: their answer is then the
 * resource given, copied, with only `id` and `meta.versionId`/`lastUpdated` set (see
 * `writesStampedCopies`).
 */
export function ownStore(
  service: ResourceService | undefined,
  method: StoreMethod,
  resourceType: string,
): ResourceStore | undefined {
  const fn = service?.[method];
  const own = typeof fn === 'function' ? STORE_METHODS.get(fn) : undefined;
  if (own === undefined || own.resourceType !== resourceType || own.method !== method) return undefined;
  if ((method === 'create' || method === 'update') && !writesStampedCopies(own.store)) return undefined;
  return own.store;
}

export function storeService(store: ResourceStore, resourceType: string): ResourceService {
  const read: NonNullable<ResourceService['read']> = (id) => store.read(resourceType, id);
  const search: NonNullable<ResourceService['search']> = (query, ctx) =>
    store.search(query, { version: ctx.version, baseUrl: ctx.baseUrl });
  const create: NonNullable<ResourceService['create']> = (resource) => store.create(resourceType, resource);
  const update: NonNullable<ResourceService['update']> = (id, resource, _ctx, options) =>
    store.update(resourceType, id, resource, options);
  const made = { read, search, create, update };
  for (const method of Object.keys(made) as StoreMethod[])
    STORE_METHODS.set(made[method], { store, resourceType, method });
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
