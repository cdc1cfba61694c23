import type { ResourceJson } from '../binding';

/**
 * A stored resource as read back: SQLite hands over JSON text; PostgreSQL's driver parses `jsonb`
 * itself. `jsonb` keeps keys in its own order, so `resourceType`, `id` and `meta` are put first again,
 * as every resource is written.
 */
export function parseStored(json: unknown): ResourceJson {
  if (typeof json === 'string') return JSON.parse(json) as ResourceJson;
  const { resourceType, id, meta, ...rest } = json as ResourceJson;
  return meta === undefined ? { resourceType, id, ...rest } : { resourceType, id, meta, ...rest };
}
