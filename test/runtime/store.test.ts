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

describe('runtime store: SQLite resources, versions, history and tombstones', () => {
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

  it('stores versions with meta, keeps other meta, and answers vread for each', () => {
    const created = store.create('Patient', patient({ meta: { tag: [{ code: 't' }], versionId: '99' } }));
    assert.equal(created.meta?.versionId, '1');
    assert.deepEqual(created.meta?.tag, [{ code: 't' }]);
    assert.deepEqual(Object.keys(created).slice(0, 3), ['resourceType', 'id', 'meta']);
    const id = created.id ?? '';
    const updated = store.update('Patient', id, patient({ id, gender: 'female' }), { allowCreate: false });
    assert.equal(updated.created, false);
    assert.equal(updated.resource.meta?.versionId, '2');
    assert.ok(
      (updated.resource.meta?.lastUpdated ?? '') > (created.meta?.lastUpdated ?? ''),
      'lastUpdated increases',
    );
    assert.equal(store.read('Patient', id).gender, 'female');
    assert.equal(store.vread('Patient', id, '1').gender, 'male');
    assert.equal(
      statusOf(() => store.vread('Patient', id, '3')),
      404,
    );
  });

  it('keeps a given id on create, and refuses an id already used (409)', () => {
    assert.equal(store.create('Patient', patient({ id: 'p1' })).id, 'p1');
    assert.equal(
      statusOf(() => store.create('Patient', patient({ id: 'p1' }))),
      409,
    );
  });

  it('deletes as a tombstone: read 410, history keeps the deletion, update revives', () => {
    const id = store.create('Patient', patient()).id ?? '';
    store.delete('Patient', id);
    store.delete('Patient', id);
    assert.equal(
      statusOf(() => store.read('Patient', id)),
      410,
    );
    assert.equal(
      statusOf(() => store.vread('Patient', id, '2')),
      410,
    );
    assert.deepEqual(
      store
        .history('Patient', { id })
        .map((entry) => [entry.method, entry.versionId, entry.resource === undefined]),
      [
        ['DELETE', '2', true],
        ['POST', '1', false],
      ],
    );
    const revived = store.update('Patient', id, patient({ id }), { allowCreate: true });
    assert.equal(revived.created, true);
    assert.equal(revived.resource.meta?.versionId, '3');
  });

  it('checks If-Match versions and update-as-create permission', () => {
    const id = store.create('Patient', patient()).id ?? '';
    assert.equal(
      statusOf(() => store.update('Patient', id, patient({ id }), { ifMatch: '2', allowCreate: false })),
      412,
    );
    assert.equal(
      statusOf(() => store.update('Patient', 'new', patient({ id: 'new' }), { allowCreate: false })),
      405,
    );
    assert.equal(
      statusOf(() =>
        store.update('Patient', 'new', patient({ id: 'new' }), { ifMatch: '1', allowCreate: true }),
      ),
      412,
    );
    assert.equal(
      store.update('Patient', id, patient({ id }), { ifMatch: '1', allowCreate: false }).resource.meta
        ?.versionId,
      '2',
    );
  });

  it('calls the write hook on every write, inside the write transaction', () => {
    const id = store.create('Patient', patient()).id ?? '';
    store.update('Patient', id, patient({ id }), { allowCreate: false });
    store.delete('Patient', id);
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
    assert.throws(() => store.create('Patient', patient({ id: 'unindexed' })), /index full/);
    assert.equal(
      statusOf(() => store.read('Patient', 'unindexed')),
      404,
      'the write was rolled back with the hook',
    );
  });

  it('rolls back an explicit transaction, history included', () => {
    store.begin();
    store.create('Patient', patient({ id: 'a' }));
    store.create('Patient', patient({ id: 'b' }));
    store.rollback();
    assert.equal(
      statusOf(() => store.read('Patient', 'a')),
      404,
    );
    assert.deepEqual(store.history(undefined, {}), []);
    store.begin();
    store.create('Patient', patient({ id: 'c' }));
    store.commit();
    assert.equal(store.read('Patient', 'c').id, 'c');
  });

  it('answers history newest first across types, with _since and a count', () => {
    store.create('Patient', patient({ id: 'p' }));
    const since = store.create('Observation', { resourceType: 'Observation', id: 'o' }).meta?.lastUpdated;
    store.update('Patient', 'p', patient({ id: 'p' }), { allowCreate: false });
    assert.deepEqual(
      store.history(undefined, {}).map((entry) => `${entry.resourceType}/${entry.id}/${entry.versionId}`),
      ['Patient/p/2', 'Observation/o/1', 'Patient/p/1'],
    );
    assert.equal(store.history(undefined, { since }).length, 2);
    assert.equal(store.history(undefined, { count: 1 }).length, 1);
    assert.equal(store.history('Observation', {}).length, 1);
  });

  it('searches by _id with paging, and refuses parameters it cannot answer', async () => {
    for (const id of ['a', 'b', 'c']) store.create('Patient', patient({ id }));
    const query = { resourceType: 'Patient', count: 2, sort: [], include: [], revinclude: [], ignored: [] };
    const all = await store.search({ ...query, params: [] });
    assert.equal(all.total, 3);
    assert.equal(all.match.length, 2);
    const byId = await store.search({
      ...query,
      params: [{ name: '_id', type: 'token', values: [{ raw: 'a' }, { raw: 'c' }] }],
    });
    assert.deepEqual(byId.match.map((resource) => resource.id).sort(), ['a', 'c']);
    assert.equal(
      statusOf(() =>
        store.search({ ...query, params: [{ name: 'gender', type: 'token', values: [{ raw: 'male' }] }] }),
      ),
      400,
    );
  });
});
