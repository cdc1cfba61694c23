/**
 * Remembers what casting and validating a service result produced, so that reading the same resource
 * again costs a comparison instead of a cast, a validation and a serialisation (about 50 us for a
 * 3 KB Patient). Casting and validation are pure functions of the result's JSON for one version's
 * binding and settings, so an entry is used only when the new result is exactly the JSON it was made
 * from, compared value by value against a private copy: a service that returns other JSON under the
 * same id and versionId gets a fresh cast, never a stale one. Each version's handler has its own
 * cache, so one version's cast is never served on another version's route.
 */
import type { ResourceJson } from '../binding';
import type { JsonText } from './json-text';

interface Entry {
  /**
   * The result as it was cast, copied so that a service changing its object later changes nothing
   * here; for a stored text (`setStored`), that text.
   */
  input: unknown;
  text: JsonText;
  size: number;
  /** For a stored text: the resource's type, id and meta, which the response headers need. */
  head?: ResourceJson;
}

/** Default bound per version: about 16 MB of cached text and copies. */
export const DEFAULT_RESULT_CACHE_BYTES = 16 * 1024 * 1024;

export class ResultCache {
  private readonly entries = new Map<string, Entry>();
  private size = 0;

  /** `maxBytes`: an estimate of the memory held (text and copy); the least recently used go first. */
  constructor(private readonly maxBytes: number) {}

  /** The canonical text made earlier from exactly this JSON, if any. */
  get(json: ResourceJson): JsonText | undefined {
    const key = keyOf(json);
    if (key === undefined) return undefined;
    const entry = this.entries.get(key);
    if (entry === undefined || !sameJson(json, entry.input)) return undefined;
    // Least recently used order: a hit moves to the end of the Map's insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.text;
  }

  /** Keeps the text cast and validated from `json`; JSON that is not plain data is not kept. */
  set(json: ResourceJson, text: JsonText): void {
    const key = keyOf(json);
    if (key === undefined) return;
    const input = copyJson(json);
    if (input === undefined) return;
    // Text twice over for the copy's objects, UTF-16: a rough, safe estimate.
    this.keep(key, { input, text, size: text.text.length * 6 });
  }

  /**
   * The cast made earlier from exactly this stored text of the resource `type/id` (a store read the
   * handler took as text, see `readStoredText`): the same text parses to the same JSON, so it casts
   * and validates the same, with nothing to compare but the strings.
   */
  getStored(key: string, stored: string): { resource: JsonText; json: ResourceJson } | undefined {
    const entry = this.entries.get(`stored:${key}`);
    if (entry === undefined || entry.input !== stored || entry.head === undefined) return undefined;
    this.entries.delete(`stored:${key}`);
    this.entries.set(`stored:${key}`, entry);
    return { resource: entry.text, json: entry.head };
  }

  /** Keeps the cast of a stored text; `json` is what it was cast from (only its type, id and meta are kept). */
  setStored(key: string, stored: string, text: JsonText, json: ResourceJson): void {
    const { versionId, lastUpdated } = json.meta ?? {};
    const head: ResourceJson = {
      resourceType: json.resourceType,
      id: json.id,
      meta: { versionId, lastUpdated },
    };
    // The stored text and the cast text, UTF-16.
    this.keep(`stored:${key}`, { input: stored, text, size: (stored.length + text.text.length) * 2, head });
  }

  private keep(key: string, entry: Entry): void {
    if (entry.size > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.size -= old.size;
    }
    this.entries.set(key, entry);
    this.size += entry.size;
    for (const [oldest, kept] of this.entries) {
      if (this.size <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.size -= kept.size;
    }
  }
}

/** One entry per resource version: a newer version replaces nothing, it simply has another key. */
function keyOf(json: ResourceJson): string | undefined {
  if (typeof json.id !== 'string') return undefined;
  const versionId = json.meta?.versionId;
  return `${json.resourceType}/${json.id}/${typeof versionId === 'string' ? versionId : ''}`;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether `value` is exactly `copy`: same keys in the same order, same primitives, plain objects and
 * arrays only (`copy` holds nothing else). Anything with a prototype of its own (a Date, a class with
 * `toJSON`) is not the same, whatever its keys.
 */
export function sameJson(value: unknown, copy: unknown): boolean {
  if (value === copy) return true;
  if (typeof value !== 'object' || typeof copy !== 'object' || value === null || copy === null) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(copy) || value.length !== copy.length) return false;
    for (let i = 0; i < value.length; i++) if (!sameJson(value[i], copy[i])) return false;
    return true;
  }
  if (Array.isArray(copy) || !isPlain(value)) return false;
  const keys = Object.keys(value);
  const copyKeys = Object.keys(copy);
  if (keys.length !== copyKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key !== copyKeys[i]) return false;
    if (!sameJson((value as Record<string, unknown>)[key], (copy as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/** A deep copy of plain JSON data; undefined when it holds anything else (functions, classes, NaN). */
export function copyJson(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = copyJson(value[i]);
          if (item === undefined) return undefined;
          out[i] = item;
        }
        return out;
      }
      if (!isPlain(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        // Assigning `__proto__` would set the copy's prototype instead of a key: not kept.
        if (key === '__proto__') return undefined;
        const item = copyJson((value as Record<string, unknown>)[key]);
        if (item === undefined) return undefined;
        out[key] = item;
      }
      return out;
    }
    default:
      return undefined;
  }
}
