import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { WalCheckpointer } from '../../src/runtime/store/wal-checkpointer';
import { eventually } from '../support/eventually';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-checkpoints-'));
  dirs.push(dir);
  return path.join(dir, 'fhir.sqlite');
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ROW = 'x'.repeat(3000);

/** A WAL database without automatic checkpoints, written to as the store writes. */
function openWal(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)');
  return db;
}

function walPages(file: string): number {
  return Math.floor(statSync(`${file}-wal`).size / 4096);
}

/** Writes `count` rows, one transaction each, giving the worker thread time to run between batches. */
async function writeRows(db: Database.Database, count: number): Promise<void> {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  for (let i = 0; i < count; i += 1) {
    insert.run(ROW);
    if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('WAL checkpoints on a worker thread', () => {
  it('keeps the WAL bounded under a steady stream of writes, where nothing else would', async () => {
    const controlFile = tempFile();
    const control = openWal(controlFile);
    await writeRows(control, 3000);
    const unchecked = walPages(controlFile);
    control.close();

    const file = tempFile();
    const db = openWal(file);
    const failures: Error[] = [];
    const checkpointer = new WalCheckpointer({
      file,
      intervalMs: 10,
      restartPages: 200,
      onFailure: (error) => failures.push(error),
    });
    try {
      await writeRows(db, 3000);
      assert.ok(unchecked > 3000, `without checkpoints the WAL holds every write (${unchecked} pages)`);
      const pages = walPages(file);
      assert.ok(pages < unchecked / 3, `with them it starts over (${pages} pages vs ${unchecked})`);
      assert.deepEqual(failures, [], 'the worker did not fail');
    } finally {
      await checkpointer.stop();
      db.close();
    }
    const reopened = new Database(file, { readonly: true });
    const { rows } = reopened.prepare('SELECT count(*) AS rows FROM t').get() as { rows: number };
    reopened.close();
    assert.equal(rows, 3000, 'every row is in the database');
  });

  it('reports a worker that cannot open the database, so that the store checkpoints itself', async () => {
    const failures: Error[] = [];
    const missing = path.join(tempFile(), 'no-such-folder', 'fhir.sqlite');
    new WalCheckpointer({ file: missing, onFailure: (error) => failures.push(error) });
    await eventually(async () => assert.equal(failures.length, 1, 'the failure was reported'), 5000, 20);
    assert.match(String(failures[0]?.message), /directory does not exist|unable to open/i, 'names the cause');
  });

  it('is how a file store checkpoints: no automatic checkpoints on the request thread', async () => {
    const file = tempFile();
    const store = new SqliteStore({ location: file });
    try {
      assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), 0, 'automatic checkpoints off');
      const created = store.create('Patient', { resourceType: 'Patient', active: true });
      assert.equal(store.read('Patient', created.id as string).active, true, 'reads what it wrote');
    } finally {
      await store.close();
    }
    const memory = new SqliteStore({ location: ':memory:' });
    await memory.close();
  });
});
