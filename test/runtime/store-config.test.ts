/**
 * Choosing the store by configuration: `store: { kind, url, poolSize }` in fhirgen.config.json or
 * STORE, STORE_URL, STORE_POOL_SIZE; checked at start. A PostgreSQL that cannot be reached stops the
 * start with one line; a server on SQLite never loads the PostgreSQL driver.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readSearchSettings, wireSearch } from '../../src/runtime/app/search';
import { ConfigError, loadConfig } from '../../src/runtime/config';
import { createStore } from '../../src/runtime/store/create-store';
import { r4Binding } from './fixtures/binding';
import { TABLES } from './fixtures/search/tables';

const run = promisify(execFile);
const AVAILABLE = { r4: '/r4' };

function problemsOf(env: NodeJS.ProcessEnv, file?: string): string[] {
  try {
    loadConfig({ env, available: AVAILABLE, ...(file === undefined ? {} : { file }) });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('store configuration: sqlite, memory or postgres', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-store-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads postgres from the file, and the environment overrides it', () => {
    const file = path.join(dir, 'fhirgen.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        store: { kind: 'postgres', url: 'postgres://u:p@db.example:5433/fhir', poolSize: 4 },
      }),
    );
    assert.deepEqual(loadConfig({ file, env: {}, available: AVAILABLE }).store, {
      kind: 'postgres',
      url: 'postgres://u:p@db.example:5433/fhir',
      poolSize: 4,
    });
    const env = { STORE_URL: 'postgresql://other/fhir2', STORE_POOL_SIZE: '25' };
    assert.deepEqual(loadConfig({ file, env, available: AVAILABLE }).store, {
      kind: 'postgres',
      url: 'postgresql://other/fhir2',
      poolSize: 25,
    });
    assert.deepEqual(
      loadConfig({ env: { STORE: 'postgres', STORE_URL: 'postgres://h/d' }, available: AVAILABLE }).store,
      {
        kind: 'postgres',
        url: 'postgres://h/d',
        poolSize: 10,
      },
    );
  });

  it('names what is wrong: the kind, a missing or foreign URL, the pool size', () => {
    assert.deepEqual(problemsOf({ STORE: 'mysql' }), [
      'store (STORE) must be "sqlite", "memory" or "postgres", got "mysql"',
    ]);
    const url =
      'store url (STORE_URL) must be a PostgreSQL URL such as postgres://user:password@host:5432/database';
    assert.deepEqual(problemsOf({ STORE: 'postgres' }), [url]);
    assert.deepEqual(problemsOf({ STORE: 'postgres', STORE_URL: 'mysql://h/d' }), [url]);
    assert.deepEqual(problemsOf({ STORE: 'postgres', STORE_URL: 'not a url' }), [url]);
    assert.deepEqual(problemsOf({ STORE: 'postgres', STORE_URL: 'postgres://h/d', STORE_POOL_SIZE: '0' }), [
      'store pool size (STORE_POOL_SIZE) must be an integer from 1 to 1000, got "0"',
    ]);
  });

  it('fails at start with one line naming the host and what to check', async function () {
    this.timeout(20_000);
    const search = wireSearch(
      [{ binding: r4Binding, basePath: '/r4', searchTables: TABLES, createServices: () => ({}) }],
      readSearchSettings(undefined),
    );
    const store = createStore(
      { kind: 'postgres', url: 'postgres://fhir@127.0.0.1:1/records', poolSize: 2 },
      search.store,
    );
    try {
      const error = await search.reindexIfStale(store).catch((failure: unknown) => failure as Error);
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /^PostgreSQL at 127\.0\.0\.1:1 \(database records\) cannot be reached: .+\. Check that it runs and accepts connections, and the user, password and database in STORE_URL\.$/,
      );
    } finally {
      await store.close();
    }
  });

  it('does not load the PostgreSQL driver for a SQLite or memory store', async function () {
    this.timeout(30_000);
    const script = `
      const { createStore } = require('./src/runtime/store/create-store');
      const store = createStore({ kind: 'memory' });
      const loaded = Object.keys(require.cache).filter((file) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]|postgres-store/.test(file));
      store.close();
      process.stdout.write(JSON.stringify(loaded));`;
    const root = path.resolve(__dirname, '..', '..');
    const { stdout } = await run(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: root });
    assert.deepEqual(JSON.parse(stdout), []);
  });
});
