/**
 * `security.tokenStore` in `fhirgen.config.json`, overlaid by TOKEN_STORE, TOKEN_STORE_URL and
 * TOKEN_STORE_PREFIX: the embedded SQLite file (default, in `security.stateDir`, for one instance or
 * several processes on one machine), or Redis for instances on several machines. Checked at start;
 * then opened by `openTokenStore`, which loads ioredis only when Redis is chosen.
 */
import path from 'node:path';
import {
  DEFAULT_KEY_PREFIX,
  openRedisTokenStore,
  type RedisTokenStoreOptions,
} from '../security/redis-token-store';
import { SqliteTokenStore } from '../security/sqlite-token-store';
import type { TokenStore } from '../security/token-store';

export type TokenStoreSettings = { kind: 'sqlite' } | { kind: 'redis'; url: string; keyPrefix: string };

const KEYS: Record<TokenStoreSettings['kind'], string[]> = {
  sqlite: ['kind'],
  redis: ['kind', 'url', 'keyPrefix'],
};

export function readTokenStore(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: string[],
): TokenStoreSettings {
  const file = isObject(value) ? value : {};
  if (value !== undefined && !isObject(value)) problems.push('security.tokenStore must be an object');
  const kind = env.TOKEN_STORE ?? file.kind ?? 'sqlite';
  if (kind !== 'sqlite' && kind !== 'redis') {
    problems.push(
      `security.tokenStore.kind (TOKEN_STORE) must be sqlite or redis, got ${JSON.stringify(kind)}`,
    );
    return { kind: 'sqlite' };
  }
  for (const key of Object.keys(file)) {
    if (!KEYS[kind].includes(key)) {
      problems.push(`security.tokenStore.${key} does not apply to the ${kind} token store`);
    }
  }
  if (kind === 'sqlite') {
    if (env.TOKEN_STORE_URL !== undefined && env.TOKEN_STORE_URL !== '') {
      problems.push('TOKEN_STORE_URL is set but the token store is sqlite: set TOKEN_STORE=redis as well');
    }
    return { kind };
  }
  const url = env.TOKEN_STORE_URL ?? file.url;
  if (typeof url !== 'string' || !isRedisUrl(url)) {
    problems.push(
      `security.tokenStore.url (TOKEN_STORE_URL) must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0, got ${describe(url)}`,
    );
  }
  const keyPrefix = env.TOKEN_STORE_PREFIX ?? file.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string' || keyPrefix === '' || /\s/.test(keyPrefix)) {
    problems.push(
      `security.tokenStore.keyPrefix (TOKEN_STORE_PREFIX) must be a non-empty string without spaces, got ${JSON.stringify(keyPrefix)}`,
    );
  }
  return { kind, url: String(url), keyPrefix: String(keyPrefix) };
}

function isRedisUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/** A URL is named in errors without what could be its password. */
function describe(url: unknown): string {
  if (typeof url !== 'string') return JSON.stringify(url) ?? 'nothing';
  return JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface OpenTokenStoreOptions {
  stateDir: string;
  /** Connection lost and back (Redis); the server prints these. */
  onStatus?: (message: string) => void;
}

export async function openTokenStore(
  settings: TokenStoreSettings,
  options: OpenTokenStoreOptions,
): Promise<TokenStore> {
  if (settings.kind === 'sqlite') {
    return new SqliteTokenStore({ file: path.join(options.stateDir, 'tokens.sqlite') });
  }
  // ioredis itself is required inside openRedisTokenStore, only on this path.
  const redis: RedisTokenStoreOptions = { url: settings.url, keyPrefix: settings.keyPrefix };
  if (options.onStatus) redis.onStatus = options.onStatus;
  return openRedisTokenStore(redis);
}
