import { type FSWatcher, watch } from 'node:fs';
import path from 'node:path';
import type { AddressCheck, TokenState } from './token-store';

/**
 * Recent answers of the embedded token store's `state` read, so that a client presenting the same
 * token on every request does not cost a SQLite read transaction each time (the two file locks of a
 * WAL read were about a sixth of a secured read by id).
 *
 * It never answers with state older than what it has been told about:
 * - every write through the store that owns it clears it (`clear`), so within one process a
 *   revocation, a supersession or a block counts from the next request on;
 * - another process writing to the same file (a restart overlapping the old instance) changes the
 *   database or its WAL, and a watch on their folder clears it when the kernel reports that;
 * - whatever the watch misses (a file system without change notification), no answer is older than
 *   `maxAgeMs`. Where the watch cannot be set up at all, nothing is kept.
 */
export interface TokenStateCacheOptions {
  /** The SQLite file; `:memory:` (or an empty name) is private to the process, so it needs no watch. */
  file: string;
  /** 0 keeps nothing. */
  maxAgeMs: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  state: TokenState;
  at: number;
}

export class TokenStateCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private watcher: FSWatcher | undefined;
  private enabled: boolean;

  constructor(options: TokenStateCacheOptions) {
    this.maxAgeMs = options.maxAgeMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.enabled = this.maxAgeMs > 0;
    if (this.enabled && options.file !== ':memory:' && options.file !== '') this.watchFile(options.file);
  }

  get(jti: string, address: AddressCheck | undefined): TokenState | undefined {
    if (!this.enabled) return undefined;
    const key = keyOf(jti, address);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.at >= this.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    const { state } = entry;
    // The block was read against the time of that read; it ends by itself.
    if (state.blockedUntil === undefined || (address !== undefined && state.blockedUntil > address.now)) {
      return state;
    }
    const { blockedUntil: _ended, ...rest } = state;
    return rest;
  }

  set(jti: string, address: AddressCheck | undefined, state: TokenState): void {
    if (!this.enabled) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(keyOf(jti, address), { state, at: this.now() });
  }

  clear(): void {
    this.entries.clear();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.clear();
  }

  private watchFile(file: string): void {
    const names = new Set([path.basename(file), `${path.basename(file)}-wal`]);
    try {
      this.watcher = watch(path.dirname(path.resolve(file)), { persistent: false }, (_event, name) => {
        // Without a name the kernel did not say which file changed: assume it was ours.
        if (name === null || names.has(name.toString())) this.clear();
      });
      this.watcher.on('error', () => this.disable());
    } catch {
      // No change notification (inotify watches exhausted, an unsupported file system): keep nothing.
      this.disable();
    }
  }

  private disable(): void {
    this.enabled = false;
    this.close();
  }
}

function keyOf(jti: string, address: AddressCheck | undefined): string {
  return address === undefined ? jti : `${jti}\n${address.address}`;
}
