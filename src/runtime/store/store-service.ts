/**
 * Default services backed by the resource store (embedded SQLite, or PostgreSQL by config). Generated service files call `storeService` and
 * users replace or wrap its methods to talk to their own systems.
 */
import type { ResourceService, ServiceMap } from '../service';
import type { ResourceStore } from './types';

export function storeService(store: ResourceStore, resourceType: string): ResourceService {
  return {
    read: (id) => store.read(resourceType, id),
    vread: (id, versionId) => store.vread(resourceType, id, versionId),
    search: (query, ctx) => store.search(query, { version: ctx.version, baseUrl: ctx.baseUrl }),
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
