import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ResourceJson } from '../../src/runtime/binding';
import { FhirHttpError } from '../../src/runtime/outcome';
import { SqliteStore, type StoreWriteEvent } from '../../src/runtime/store/sqlite-store';

function statusOf(action: () => unknown): number | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof FhirHttpError) return error.status;
    throw error;
  }
  return undefined;
}

const patient = (extra: Record<string, unknown> = {}): ResourceJson => ({
  resourceType: 'Patient',
  gender: 'male',
  ...extra,
});

// What every store does is in store-contract.test.ts; this is what is SQLite's own.
describe('runtime store: SQLite journaling and the write hook', () => {
  let dir: string;
  let store: SqliteStore;
  let events: StoreWriteEvent[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-store-'));
    events = [];
    store = new SqliteStore({
      location: path.join(dir, 'fhir.sqlite'),
      onWrite: (event) => events.push(event),
    });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses WAL journaling on files', () => {
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  });

  it('calls the write hook on every write, inside the write transaction', async () => {
    const id = (await store.create('Patient', patient())).id ?? '';
    await store.update('Patient', id, patient({ id }), { allowCreate: false });
    await store.delete('Patient', id);
    assert.deepEqual(
      events.map((event) => [event.kind, event.versionId, event.resource?.meta?.versionId]),
      [
        ['create', '1', '1'],
        ['update', '2', '2'],
        ['delete', '3', undefined],
      ],
    );
    store.close();
    store = new SqliteStore({
      location: path.join(dir, 'fhir.sqlite'),
      onWrite: () => {
        throw new Error('index full');
      },
    });
    await assert.rejects(store.create('Patient', patient({ id: 'unindexed' })), /index full/);
    assert.equal(
      statusOf(() => store.read('Patient', 'unindexed')),
      404,
      'the write was rolled back with the hook',
    );
  });
});
