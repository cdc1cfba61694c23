/**
 * Casts of resources the store handed over as their stored JSON text (reads and searches through
 * `storeService`'s own methods): the cast made before from the same text is found by that text, so
 * a resource read again costs neither a parse nor a comparison.
 */
import type { ResourceJson } from '../binding';
import type { StoredText } from '../store/types';
import type { CastResource } from './cast';
import type { ResultCache } from './result-cache';

/**
 * The cast of `stored`: the one kept for exactly this text, or `cast` of the parsed text, kept when
 * it serves the JSON as stored (a cast that dropped properties must report them on every read).
 * `cast` may leave the resource out by returning undefined.
 */
export function castStoredText(
  cache: ResultCache,
  stored: StoredText,
  cast: (json: ResourceJson) => CastResource | undefined,
): CastResource | undefined {
  const key = `${stored.resourceType}/${stored.id}`;
  const known = cache.getStored(key, stored.text);
  if (known !== undefined) return known;
  const parsed = JSON.parse(stored.text) as ResourceJson;
  const result = cast(parsed);
  if (result !== undefined && result.json === parsed)
    cache.setStored(key, stored.text, result.resource, parsed);
  return result;
}
