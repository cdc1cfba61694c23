/**
 * A store written by a release that indexed each resource once per FHIR version (index rows told
 * apart by a `v` column) still searches after the upgrade: the old index tables are dropped when the
 * server opens the store, and every resource is indexed again at start (app/search.ts
 * `reindexIfStale`), which run.ts logs as "search index rebuilt for N resources". The tables exist
 * from the start, before any write.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { readSearchSettings, wireSearch } from '../../src/runtime/app/search';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { INDEX_TABLES } from '../../src/runtime/search/sql/schema';
import { createStore } from '../../src/runtime/store/create-store';
import { STORE_SCHEMA } from '../../src/runtime/store/schema';
import type { ResourceStore } from '../../src/runtime/store/types';
import { startPostgres } from '../support/postgres';
import { r4Binding } from './fixtures/binding';
import { TABLES } from './fixtures/search/tables';

/** The index tables as the previous release made them, each holding a row of the old layout. */
function writeOldLayout(file: string): void {
  const db = new Database(file);
  db.exec(STORE_SCHEMA);
  const patient = {
    resourceType: 'Patient',
    id: 'p1',
    name: [{ family: 'Chalmers' }],
    meta: { versionId: '1' },
  };
  db.prepare(
    "INSERT INTO resources (resource_type, id, version_id, last_updated, json) VALUES ('Patient', 'p1', 1, '2024-01-01T00:00:00.000Z', ?)",
  ).run(JSON.stringify(patient));
  for (const spec of Object.values(INDEX_TABLES)) {
    const columns = spec.columns.map((column) => `${column}`).join(', ');
    db.exec(
      `CREATE TABLE ${spec.name} (v TEXT NOT NULL, resource_type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL, ${columns});
       CREATE INDEX ${spec.name}_find ON ${spec.name} (v, resource_type, param, id);`,
    );
  }
  db.prepare(
    "INSERT INTO search_string (v, resource_type, id, param, grp, folded, exact) VALUES ('r4', 'Patient', 'p1', 'family', 0, 'chalmers', 'Chalmers')",
  ).run();
  db.exec(
    "CREATE TABLE fhirgen_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO fhirgen_meta VALUES ('search_tables', 'before')",
  );
  db.close();
}

/** The previous layout's DDL of one index table (a `v` column). */
function oldTable(spec: { name: string; columns: readonly string[] }): string {
  return `CREATE TABLE ${spec.name} (v TEXT NOT NULL, resource_type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, grp INTEGER NOT NULL, ${spec.columns.join(' TEXT, ')} TEXT)`;
}

const patientQuery = () => {
  const parsed = parseSearch('Patient', readQueryPairs('family=chalm'), {
    version: 'r4',
    tables: TABLES,
    defaultCount: 10,
    maxCount: 10,
    lenient: false,
  });
  assert.ok(parsed.ok);
  return parsed.query;
};

/** The ids a `family=chalm` search finds through R4. */
async function foundIds(store: ResourceStore): Promise<(string | undefined)[]> {
  const found = await store.search(patientQuery(), { version: 'r4', baseUrl: 'http://localhost/r4' });
  return found.match.map((resource) => resource.id);
}

describe('search index: a store of the previous index layout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-index-layout-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('drops the per-version index tables and indexes every resource again at start', async () => {
    const file = path.join(dir, 'fhir.sqlite');
    writeOldLayout(file);
    const search = wireSearch(
      [{ binding: r4Binding, basePath: '/r4', searchTables: TABLES, createServices: () => ({}) }],
      readSearchSettings(undefined),
    );
    const store = createStore({ kind: 'sqlite', path: file }, search.store);
    try {
      assert.equal(await search.reindexIfStale(store), 1);
      const db = (store as unknown as { db: Database.Database }).db;
      const columns = db.prepare("SELECT name FROM pragma_table_info('search_string')").pluck().all();
      assert.ok(!columns.includes('v'), `columns ${columns.join(', ')}`);
      assert.deepEqual(await foundIds(store), ['p1']);
      // Opened again, the index is current: nothing to rebuild.
      assert.equal(await search.reindexIfStale(store), 0);
    } finally {
      await store.close();
    }
  });

  it('exists before the first write, so that a first write rolled back leaves the index usable', async () => {
    const search = wireSearch(
      [{ binding: r4Binding, basePath: '/r4', searchTables: TABLES, createServices: () => ({}) }],
      readSearchSettings(undefined),
    );
    const store = createStore({ kind: 'sqlite', path: path.join(dir, 'fhir.sqlite') }, search.store);
    try {
      assert.equal(await search.reindexIfStale(store), 0);
      // A transaction Bundle whose last entry fails: its writes, the first ever, are rolled back.
      await store.begin();
      await store.create('Patient', { resourceType: 'Patient', id: 'gone', name: [{ family: 'Chalmers' }] });
      await store.rollback();
      await store.create('Patient', { resourceType: 'Patient', id: 'p1', name: [{ family: 'Chalmers' }] });
      assert.deepEqual(await foundIds(store), ['p1']);
    } finally {
      await store.close();
    }
  });

  it('on PostgreSQL too: the schema migration drops them, and the start indexes again', async function () {
    this.timeout(60_000);
    const database = await startPostgres();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE resources (resource_type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, version_id INTEGER NOT NULL, last_updated TEXT COLLATE "C" NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, json JSONB, PRIMARY KEY (resource_type, id))',
      );
      await client.query(
        "INSERT INTO resources VALUES ('Patient', 'p1', 1, '2024-01-01T00:00:00.000Z', 0, $1)",
        [{ resourceType: 'Patient', id: 'p1', name: [{ family: 'Chalmers' }] }],
      );
      for (const spec of Object.values(INDEX_TABLES)) await client.query(oldTable(spec));
      await client.query(
        "INSERT INTO search_string VALUES ('r4', 'Patient', 'p1', 'family', 0, 'chalmers', 'Chalmers')",
      );
    } finally {
      await client.end();
    }
    const search = wireSearch(
      [{ binding: r4Binding, basePath: '/r4', searchTables: TABLES, createServices: () => ({}) }],
      readSearchSettings(undefined),
    );
    const store = createStore({ kind: 'postgres', url: database.url, poolSize: 2 }, search.store);
    try {
      assert.equal(await search.reindexIfStale(store), 1);
      assert.deepEqual(await foundIds(store), ['p1']);
    } finally {
      await store.close();
      await database.stop();
    }
  });
});
