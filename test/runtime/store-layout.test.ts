/**
 * How the stores keep resource text (store/history-text.ts): the current version once, in
 * `resources`; older versions in their history rows (SQLite: deflated); a store of the previous
 * layout, which held the current text twice, migrated at open and answering as before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ResourceJson } from '../../src/runtime/binding';
import type { PostgresStore } from '../../src/runtime/store/postgres-store';
import { STORE_SCHEMA } from '../../src/runtime/store/schema';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import type { ResourceStore } from '../../src/runtime/store/types';
import { statusOf } from './fixtures/status';
import { type OpenedStore, STORE_BACKENDS } from './fixtures/stores';

const patient = (id: string, family: string): ResourceJson => ({
  resourceType: 'Patient',
  id,
  name: [{ family, given: ['Anna', 'Maria'] }],
  address: [{ line: ['1 Example Street'], city: 'Springfield', postalCode: '62701', country: 'USA' }],
});

/** What reads, vreads and history answer for Patient/a after versions Smith, Jones and a deletion. */
async function answers(store: ResourceStore) {
  const history = await store.history('Patient', { id: 'a' });
  return {
    v1: ((await store.vread('Patient', 'a', '1')).name as { family: string }[])[0]?.family,
    v2: ((await store.vread('Patient', 'a', '2')).name as { family: string }[])[0]?.family,
    v3: await statusOf(() => store.vread('Patient', 'a', '3')),
    read: await statusOf(() => store.read('Patient', 'a')),
    history: history.map((entry) => [
      entry.versionId,
      entry.method,
      ((entry.resource as ResourceJson | undefined)?.name as { family: string }[] | undefined)?.[0]?.family,
    ]),
    since: (await store.history(undefined, { since: history[1]?.lastUpdated as string })).map(
      (entry) => `${entry.id}/${entry.versionId}`,
    ),
    b: ((await store.read('Patient', 'b')).name as { family: string }[])[0]?.family,
    bHistory: (await store.history('Patient', { id: 'b' })).map(
      (entry) => (entry.resource as ResourceJson | undefined)?.id,
    ),
  };
}

const EXPECTED = {
  v1: 'Smith',
  v2: 'Jones',
  v3: 410,
  read: 410,
  history: [
    ['3', 'DELETE', undefined],
    ['2', 'PUT', 'Jones'],
    ['1', 'POST', 'Smith'],
  ],
  since: ['b/1', 'a/3', 'a/2'],
  b: 'Brown',
  bHistory: ['b'],
};

async function writeVersions(store: ResourceStore): Promise<void> {
  await store.create('Patient', patient('a', 'Smith'));
  await store.update('Patient', 'a', patient('a', 'Jones'), { allowCreate: false });
  await store.delete('Patient', 'a');
  await store.create('Patient', patient('b', 'Brown'));
}

for (const backend of STORE_BACKENDS) {
  describe(`store layout: ${backend.name} keeps the current text once`, function () {
    this.timeout(60_000);
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await backend.open();
    });
    afterEach(() => opened.close());

    it('holds no text in the current version’s history row, moving it there when superseded', async () => {
      const { store } = opened;
      await store.create('Patient', patient('c', 'Smith'));
      await store.update('Patient', 'c', patient('c', 'Jones'), { allowCreate: false });
      const sql =
        "SELECT version_id, json IS NULL AS empty FROM resource_history WHERE id = 'c' ORDER BY version_id";
      const rows =
        store instanceof SqliteStore
          ? (store.db.prepare(sql).all() as { version_id: number; empty: number }[])
          : (await (store as unknown as PostgresStore).pool.query(sql)).rows;
      assert.deepEqual(
        rows.map((row) => [Number(row.version_id), Boolean(row.empty)]),
        [
          [1, false],
          [2, true],
        ],
      );
      await writeVersions(store);
      assert.deepEqual(await answers(store), EXPECTED);
    });
  });
}

describe('store layout: an SQLite file of the previous layout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-layout-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The file the previous version wrote for `writeVersions`: every version's text in history, the current one also in resources. */
  function previousLayout(file: string, stamps: string[]): void {
    const db = new Database(file);
    db.exec(STORE_SCHEMA);
    const text = (id: string, family: string, version: number, stamp: string) =>
      JSON.stringify({ ...patient(id, family), meta: { versionId: String(version), lastUpdated: stamp } });
    const history = db.prepare('INSERT INTO resource_history VALUES (?, ?, ?, ?, ?, ?)');
    const [s1, s2, s3, s4] = stamps as [string, string, string, string];
    history.run('Patient', 'a', 1, s1, 'POST', text('a', 'Smith', 1, s1));
    history.run('Patient', 'a', 2, s2, 'PUT', text('a', 'Jones', 2, s2));
    history.run('Patient', 'a', 3, s3, 'DELETE', null);
    history.run('Patient', 'b', 1, s4, 'POST', text('b', 'Brown', 1, s4));
    const resources = db.prepare('INSERT INTO resources VALUES (?, ?, ?, ?, ?, ?)');
    resources.run('Patient', 'a', 3, s3, 1, null);
    resources.run('Patient', 'b', 1, s4, 0, text('b', 'Brown', 1, s4));
    db.close();
  }

  it('is migrated at open: the current text once, older texts deflated, every answer as before', async () => {
    const file = path.join(dir, 'fhir.sqlite');
    previousLayout(file, [
      '2024-01-01T00:00:00.001Z',
      '2024-01-01T00:00:00.002Z',
      '2024-01-01T00:00:00.003Z',
      '2024-01-01T00:00:00.004Z',
    ]);
    const store = new SqliteStore({ location: file });
    try {
      const kinds = store.db
        .prepare('SELECT id, version_id, typeof(json) AS kind FROM resource_history ORDER BY id, version_id')
        .all() as { id: string; version_id: number; kind: string }[];
      assert.deepEqual(
        kinds.map((row) => `${row.id}/${row.version_id} ${row.kind}`),
        ['a/1 blob', 'a/2 blob', 'a/3 null', 'b/1 null'],
      );
      assert.deepEqual(await answers(store), EXPECTED);
      await store.update('Patient', 'b', patient('b', 'Green'), { allowCreate: false });
      assert.equal(
        ((await store.vread('Patient', 'b', '1')).name as { family: string }[])[0]?.family,
        'Brown',
      );
      assert.equal(((await store.read('Patient', 'b')).name as { family: string }[])[0]?.family, 'Green');
    } finally {
      await store.close();
    }
    const again = new SqliteStore({ location: file });
    try {
      assert.equal(
        ((await again.vread('Patient', 'a', '1')).name as { family: string }[])[0]?.family,
        'Smith',
      );
    } finally {
      await again.close();
    }
  });
});

describe('store layout: a PostgreSQL database of the previous layout', function () {
  this.timeout(60_000);
  it('is migrated at open: the current text once, every answer as before', async () => {
    const opened = await STORE_BACKENDS[1]?.open();
    assert.ok(opened);
    try {
      await writeVersions(opened.store);
      const pool = (opened.store as unknown as PostgresStore).pool;
      // What the previous version left: the current version's text in its history row too, under
      // the previous schema's fingerprint.
      await pool.query(`UPDATE resource_history h SET json = r.json FROM resources r
        WHERE r.resource_type = h.resource_type AND r.id = h.id AND r.version_id = h.version_id AND r.json IS NOT NULL`);
      await pool.query("UPDATE fhirgen_meta SET value = 'previous' WHERE key = 'schema'");
      const store = await opened.reopen();
      const empty = await pool.query(
        "SELECT id FROM resource_history WHERE json IS NULL AND method <> 'DELETE'",
      );
      assert.deepEqual(
        empty.rows.map((row) => row.id),
        ['b'],
      );
      assert.deepEqual(await answers(store), EXPECTED);
    } finally {
      await opened.close();
    }
  });
});
