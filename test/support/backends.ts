/**
 * The shared backends the cluster tests and the scale bench run on. Each gives the environment every instance starts
 * with, and a probe that tells when a write transaction is open in the store (so that a test can
 * kill an instance while it writes, not before or after).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { embeddedEnv } from './cluster';
import { tempDir } from './project';

export interface StartedBackend {
  env: NodeJS.ProcessEnv;
  /** True while some connection holds a write transaction open in the store. */
  writeStarted(): Promise<boolean>;
  stop(): Promise<void>;
}

export interface Backend {
  /** Short name for command lines: `embedded`, `postgres`. */
  id: string;
  name: string;
  start(): Promise<StartedBackend>;
}

/** One SQLite store file in WAL mode and one security state folder, shared by the instances. */
export const embedded: Backend = {
  id: 'embedded',
  name: 'embedded SQLite store and token store',
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

export const BACKENDS: Backend[] = [embedded];
