/**
 * A store written by a release that indexed each resource once per FHIR version (index rows told
 * apart by a `v` column) still searches after the upgrade: the old index tables are dropped when the
 * server opens the store, and every resource is indexed again at start (app/search.ts
 * `reindexIfStale`), which run.ts logs as "search index rebuilt for N resources".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readSearchSettings, wireSearch } from '../../src/runtime/app/search';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { INDEX_TABLES } from '../../src/runtime/search/sql/schema';
import { createStore } from '../../src/runtime/store/create-store';
import { STORE_SCHEMA } from '../../src/runtime/store/schema';
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
      const parsed = parseSearch('Patient', readQueryPairs('family=chalm'), {
        version: 'r4',
        tables: TABLES,
        defaultCount: 10,
        maxCount: 10,
        lenient: false,
      });
      assert.ok(parsed.ok);
      const found = await store.search(parsed.query, { version: 'r4', baseUrl: 'http://localhost/r4' });
      assert.deepEqual(
        found.match.map((resource) => resource.id),
        ['p1'],
      );
      // Opened again, the index is current: nothing to rebuild.
      assert.equal(await search.reindexIfStale(store), 0);
    } finally {
      await store.close();
    }
  });
});
