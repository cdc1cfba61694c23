/**
 * The token store backends the end-to-end security suites run against: the embedded SQLite file in
 * the project's state folder (the default), and a Redis server (`TOKEN_STORE=redis`). Each gives the
 * environment the server starts with, and a way for a test to open the same store the server uses
 * (to record server-signed tokens as issued).
 */
import path from 'node:path';
import { openRedisTokenStore } from '../../src/runtime/security/redis-token-store';
import { SqliteTokenStore } from '../../src/runtime/security/sqlite-token-store';
import type { TokenStore } from '../../src/runtime/security/token-store';
import { startRedis, type TestRedis } from '../support/redis';

export interface StartedBackend {
  env: NodeJS.ProcessEnv;
  /** The token store of the server running in the project folder `dir`. */
  openStore(dir: string): Promise<TokenStore>;
  stop(): Promise<void>;
}

export interface TokenStoreBackend {
  name: string;
  start(): Promise<StartedBackend>;
}

export const sqliteBackend: TokenStoreBackend = {
  name: 'SQLite token store',
  async start() {
    return {
      env: {},
      openStore: async (dir) => new SqliteTokenStore({ file: path.join(dir, 'data/security/tokens.sqlite') }),
      stop: async () => {},
    };
  },
};

export const redisBackend: TokenStoreBackend = {
  name: 'Redis token store',
  async start() {
    const redis: TestRedis = await startRedis();
    return {
      env: { TOKEN_STORE: 'redis', TOKEN_STORE_URL: redis.url },
      openStore: () => openRedisTokenStore({ url: redis.url }),
      stop: () => redis.stop(),
    };
  },
};

export const TOKEN_STORE_BACKENDS: TokenStoreBackend[] = [sqliteBackend, redisBackend];
