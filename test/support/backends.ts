/**
 * The shared backends the cluster tests and the scale bench run on. Each gives the environment every
 * instance starts with, and a probe that tells when a write transaction is open in the store (so that
 * a test can kill an instance while it writes, not before or after).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { embeddedEnv } from './cluster';
import { startPostgres } from './postgres';
import { tempDir } from './project';
import { startRedis } from './redis';

export interface StartedBackend {
  env: NodeJS.ProcessEnv;
  /** True while some connection holds a write transaction open in the store. */
  writeStarted(): Promise<boolean>;
  stop(): Promise<void>;
  /** Outages of the backend's own servers, where it has any. */
  faults?: {
    /** Stops the resource store's server until `resumeStore`. */
    haltStore(): Promise<void>;
    resumeStore(): Promise<void>;
    /** Stops the token store's server (its data is lost, as Redis without persistence loses it). */
    haltTokenStore(): Promise<void>;
    resumeTokenStore(): Promise<void>;
  };
}

export interface Backend {
  /** Short name for command lines: `embedded`, `postgres`. */
  id: string;
  name: string;
  /** True when the backend runs servers of its own, which `StartedBackend.faults` can take down. */
  servers: boolean;
  start(): Promise<StartedBackend>;
}

/** One SQLite store file in WAL mode and one security state folder, shared by the instances. */
export const embedded: Backend = {
  id: 'embedded',
  name: 'embedded SQLite store and token store',
  servers: false,
  async start() {
    const env = embeddedEnv(tempDir('fhirgen-cluster-'));
    let probe: Database.Database | undefined;
    return {
      env,
      async writeStarted() {
        // A server's transaction begins with BEGIN IMMEDIATE (the write lock); while it is held, this
        // connection, which does not wait, cannot take it.
        probe ??= new Database(path.resolve(env.STORE_PATH as string), { fileMustExist: true, timeout: 0 });
        try {
          probe.exec('BEGIN IMMEDIATE');
          probe.exec('ROLLBACK');
          return false;
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_BUSY') return true;
          throw error;
        }
      },
      async stop() {
        probe?.close();
      },
    };
  },
};

/**
 * PostgreSQL for resources and Redis for token state (a database and a redis-server of their own);
 * the signing key and the search cursor key still come from one shared state folder.
 */
export const postgres: Backend = {
  id: 'postgres',
  name: 'PostgreSQL store and Redis token store',
  servers: true,
  async start() {
    const [database, redis] = await Promise.all([startPostgres(), startRedis()]);
    let probe = await connected(database.url);
    return {
      env: {
        STORE: 'postgres',
        STORE_URL: database.url,
        TOKEN_STORE: 'redis',
        TOKEN_STORE_URL: redis.url,
        SECURITY_STATE_DIR: path.join(tempDir('fhirgen-cluster-'), 'security'),
      },
      async writeStarted() {
        // A session gets a transaction id at its first write (PostgreSQL docs, pg_stat_activity).
        const { rows } = await probe.query(
          `SELECT count(*)::int AS writing FROM pg_stat_activity
            WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()`,
        );
        return (rows[0] as { writing: number }).writing > 0;
      },
      async stop() {
        await probe.end();
        await redis.stop();
        await database.stop();
      },
      faults: {
        async haltStore() {
          await database.halt();
          await probe.end().catch(() => {});
        },
        async resumeStore() {
          await database.restart();
          probe = await connected(database.url);
        },
        haltTokenStore: () => redis.stop(),
        resumeTokenStore: () => redis.start(),
      },
    };
  },
};

async function connected(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  // A halted server cuts the session: that is expected, not a crash of the test process.
  client.on('error', () => {});
  await client.connect();
  return client;
}

export const BACKENDS: Backend[] = [embedded, postgres];
