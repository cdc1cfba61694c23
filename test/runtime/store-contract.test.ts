/**
 * The resource store contract, one suite run against each store: the embedded SQLite store and the
 * PostgreSQL store (on a throwaway cluster, test/support/postgres.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ResourceJson } from '../../src/runtime/binding';
import { FhirHttpError } from '../../src/runtime/outcome';
import { createIndexRows } from '../../src/runtime/search/sql/indexer';
import { PostgresStore } from '../../src/runtime/store/postgres-store';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import type { ResourceStore } from '../../src/runtime/store/types';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { TABLES } from './fixtures/search/tables';
import { statusOf } from './fixtures/status';

const patient = (extra: Record<string, unknown> = {}): ResourceJson => ({
  resourceType: 'Patient',
  gender: 'male',
  ...extra,
});

interface Backend {
  name: string;
  setUp(): Promise<void>;
  /** An empty store. */
  fresh(): Promise<ResourceStore>;
  tearDown(): Promise<void>;
}

const sqlite: Backend = {
  name: 'SQLite',
  setUp: async () => {},
  fresh: async () => new SqliteStore({ location: ':memory:' }),
  tearDown: async () => {},
};

let server: TestPostgres | undefined;
const postgres: Backend = {
  name: 'PostgreSQL',
  async setUp() {
    server = await startPostgres();
  },
  async fresh() {
    const store = new PostgresStore({ url: (server as TestPostgres).url, poolSize: 4 });
    await store.open();
    await store.pool.query('TRUNCATE resources, resource_history');
    return store;
  },
  async tearDown() {
    await server?.stop();
  },
};

for (const backend of [sqlite, postgres]) {
  describe(`resource store contract: ${backend.name}`, function () {
    this.timeout(60_000);
    let store: ResourceStore;
    before(() => backend.setUp());
    after(() => backend.tearDown());
    beforeEach(async () => {
      store = await backend.fresh();
    });
    afterEach(() => store.close());

    it('stores versions with meta, keeps other meta, and answers vread for each', async () => {
      const created = await store.create(
        'Patient',
        patient({ meta: { tag: [{ code: 't' }], versionId: '99' } }),
      );
      assert.equal(created.meta?.versionId, '1');
      assert.deepEqual(created.meta?.tag, [{ code: 't' }]);
      const id = created.id ?? '';
      const updated = await store.update('Patient', id, patient({ id, gender: 'female' }), {
        allowCreate: false,
      });
      assert.equal(updated.created, false);
      assert.equal(updated.resource.meta?.versionId, '2');
      assert.ok((updated.resource.meta?.lastUpdated ?? '') > (created.meta?.lastUpdated ?? ''));
      const read = await store.read('Patient', id);
      assert.equal(read.gender, 'female');
      assert.deepEqual(Object.keys(read).slice(0, 3), ['resourceType', 'id', 'meta']);
      assert.deepEqual(read.meta, updated.resource.meta);
      assert.equal((await store.vread('Patient', id, '1')).gender, 'male');
      assert.equal(await statusOf(() => store.vread('Patient', id, '3')), 404);
      assert.equal(await statusOf(() => store.vread('Patient', id, 'x')), 404);
      assert.equal(await statusOf(() => store.read('Patient', 'nobody')), 404);
    });

    it('keeps a given id on create, and refuses an id already used (409)', async () => {
      assert.equal((await store.create('Patient', patient({ id: 'p1' }))).id, 'p1');
      assert.equal(await statusOf(() => store.create('Patient', patient({ id: 'p1' }))), 409);
      assert.equal((await store.history('Patient', { id: 'p1' })).length, 1);
    });

    it('deletes as a tombstone: read 410, history keeps the deletion, update revives', async () => {
      const id = (await store.create('Patient', patient())).id ?? '';
      await store.delete('Patient', id);
      await store.delete('Patient', id);
      await store.delete('Patient', 'never-there');
      assert.equal(await statusOf(() => store.read('Patient', id)), 410);
      assert.equal(await statusOf(() => store.vread('Patient', id, '2')), 410);
      assert.deepEqual(
        (await store.history('Patient', { id })).map((entry) => [
          entry.method,
          entry.versionId,
          entry.resource === undefined,
        ]),
        [
          ['DELETE', '2', true],
          ['POST', '1', false],
        ],
      );
      const revived = await store.update('Patient', id, patient({ id }), { allowCreate: true });
      assert.equal(revived.created, true);
      assert.equal(revived.resource.meta?.versionId, '3');
      assert.equal(await statusOf(() => store.create('Patient', patient({ id }))), 409);
    });

    it('checks If-Match versions (412) and update-as-create permission (405)', async () => {
      const id = (await store.create('Patient', patient())).id ?? '';
      const update = (target: string, options: { ifMatch?: string; allowCreate: boolean }) =>
        store.update('Patient', target, patient({ id: target }), options);
      assert.equal(await statusOf(() => update(id, { ifMatch: '2', allowCreate: false })), 412);
      assert.equal(await statusOf(() => update('new', { allowCreate: false })), 405);
      assert.equal(await statusOf(() => update('new', { ifMatch: '1', allowCreate: true })), 412);
      assert.equal((await update(id, { ifMatch: '1', allowCreate: false })).resource.meta?.versionId, '2');
      const created = await update('new', { allowCreate: true });
      assert.deepEqual([created.created, created.resource.meta?.versionId], [true, '1']);
      await store.delete('Patient', id);
      assert.equal(await statusOf(() => update(id, { ifMatch: '3', allowCreate: false })), 412);
    });

    it('answers history newest first across types, with _since and a count', async () => {
      await store.create('Patient', patient({ id: 'p' }));
      const since = (await store.create('Observation', { resourceType: 'Observation', id: 'o' })).meta
        ?.lastUpdated;
      await store.update('Patient', 'p', patient({ id: 'p' }), { allowCreate: false });
      assert.deepEqual(
        (await store.history(undefined, {})).map(
          (entry) => `${entry.resourceType}/${entry.id}/${entry.versionId}`,
        ),
        ['Patient/p/2', 'Observation/o/1', 'Patient/p/1'],
      );
      assert.equal((await store.history(undefined, { since })).length, 2);
      assert.equal((await store.history(undefined, { count: 1 })).length, 1);
      assert.equal((await store.history('Observation', {})).length, 1);
      assert.equal((await store.history('Patient', { since })).length, 1);
    });

    it('gives every write a later lastUpdated than the one before, however fast they come', async () => {
      const stamps: string[] = [];
      for (let i = 0; i < 20; i++) {
        stamps.push((await store.create('Patient', patient({ id: `fast${i}` }))).meta?.lastUpdated ?? '');
      }
      for (let i = 1; i < stamps.length; i++) assert.ok((stamps[i] as string) > (stamps[i - 1] as string));
    });

    it('commits an explicit transaction, and rolls one back entirely, history included', async () => {
      await store.begin();
      await store.create('Patient', patient({ id: 'a' }));
      await store.create('Patient', patient({ id: 'b' }));
      await store.rollback();
      assert.equal(await statusOf(() => store.read('Patient', 'a')), 404);
      assert.deepEqual(await store.history(undefined, {}), []);
      await store.begin();
      await store.create('Patient', patient({ id: 'c' }));
      await store.update('Patient', 'c', patient({ id: 'c', gender: 'other' }), { allowCreate: false });
      await store.commit();
      assert.equal((await store.read('Patient', 'c')).gender, 'other');
      assert.equal((await store.history('Patient', { id: 'c' })).length, 2);
    });

    it('searches by _id with paging without the search module, and refuses other parameters', async () => {
      for (const id of ['a', 'b', 'c']) await store.create('Patient', patient({ id }));
      const query = { resourceType: 'Patient', count: 2, sort: [], include: [], revinclude: [], ignored: [] };
      const all = await store.search({ ...query, params: [] });
      assert.equal(all.total, 3);
      assert.equal(all.match.length, 2);
      const byId = await store.search({
        ...query,
        params: [{ name: '_id', type: 'token', values: [{ raw: 'a' }, { raw: 'c' }] }],
      });
      assert.deepEqual(byId.match.map((resource) => resource.id).sort(), ['a', 'c']);
      const gender = { name: 'gender', type: 'token' as const, values: [{ raw: 'male' }] };
      assert.equal(await statusOf(() => store.search({ ...query, params: [gender] })), 400);
    });

    it('answers ping while open, and closes twice without error', async () => {
      await store.ping();
      await store.close();
      await store.close();
      await assert.rejects(() => store.ping());
      store = await backend.fresh();
    });
  });
}

describe('resource store contract: PostgreSQL only', function () {
  this.timeout(60_000);
  let db: TestPostgres;
  before(async () => {
    db = await startPostgres();
  });
  after(() => db.stop());

  it('creates its schema idempotently when several instances open at once', async () => {
    const stores = [1, 2, 3].map(() => new PostgresStore({ url: db.url, poolSize: 2 }));
    try {
      await Promise.all(stores.map((store) => store.open()));
      await (stores[0] as PostgresStore).create('Patient', patient({ id: 'shared' }));
      assert.equal((await (stores[2] as PostgresStore).read('Patient', 'shared')).id, 'shared');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('orders lastUpdated strictly across instances, and one of two concurrent If-Match updates wins', async () => {
    const [one, two] = [new PostgresStore({ url: db.url }), new PostgresStore({ url: db.url })];
    try {
      const writes = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).create('Patient', patient({ id: `c${i}` }))),
      );
      const stamps = writes.map((resource) => resource.meta?.lastUpdated ?? '');
      assert.equal(new Set(stamps).size, stamps.length, 'no two writes share an instant');
      await one.create('Patient', patient({ id: 'race' }));
      const results = await Promise.allSettled(
        [one, two].map((store) =>
          store.update('Patient', 'race', patient({ id: 'race' }), { ifMatch: '1', allowCreate: false }),
        ),
      );
      const statuses = results.map((result) =>
        result.status === 'fulfilled' ? 200 : (result.reason as FhirHttpError).status,
      );
      assert.deepEqual(statuses.sort(), [200, 412]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('keeps a transaction to its own connection: other calls neither see nor join it', async () => {
    const store = new PostgresStore({ url: db.url });
    try {
      await store.open();
      let wrote = () => {};
      const written = new Promise<void>((resolve) => {
        wrote = resolve;
      });
      let looked = () => {};
      const lookedAt = new Promise<void>((resolve) => {
        looked = resolve;
      });
      // Two async contexts, as two requests would be: the transaction and a caller outside it.
      const inside = (async () => {
        await new Promise((resolve) => setImmediate(resolve));
        const rollBack = new Error('roll back');
        const ended = await store
          .inTransaction(async () => {
            await store.create('Patient', patient({ id: 'inside' }));
            assert.equal(
              (await store.read('Patient', 'inside')).id,
              'inside',
              'the transaction sees its write',
            );
            wrote();
            await lookedAt;
            throw rollBack;
          })
          .catch((error: unknown) => error);
        assert.equal(ended, rollBack);
      })();
      const outside = (async () => {
        await written;
        const seen = await statusOf(() => store.read('Patient', 'inside'));
        looked();
        // Waits for the transaction to end (the clock row's lock), then commits on its own.
        await store.create('Patient', patient({ id: 'outsider' }));
        return seen;
      })();
      await inside;
      assert.equal(await outside, 404, 'a call outside the transaction does not see its uncommitted write');
      assert.equal(await statusOf(() => store.read('Patient', 'inside')), 404, 'rolled back');
      assert.equal((await store.read('Patient', 'outsider')).id, 'outsider', 'not part of the rollback');
    } finally {
      await store.close();
    }
  });

  it('answers 503 with Retry-After while the database is down, and recovers by itself', async () => {
    const store = new PostgresStore({ url: db.url, connectTimeout: 2000 });
    try {
      await store.create('Patient', patient({ id: 'kept' }));
      await db.halt();
      const error = await store.read('Patient', 'kept').catch((failure: unknown) => failure);
      assert.ok(error instanceof FhirHttpError, String(error));
      assert.equal(error.status, 503);
      assert.equal(error.headers['Retry-After'], '5');
      assert.equal(error.issues[0]?.code, 'transient');
      await assert.rejects(() => store.ping());
      // A transaction Bundle that cannot begin leaves nothing behind for the calls after it.
      assert.equal(await statusOf(() => store.begin()), 503);
      await db.restart();
      assert.equal((await store.read('Patient', 'kept')).id, 'kept');
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it('survives the database going away while a transaction Bundle holds a connection', async () => {
    const store = new PostgresStore({ url: db.url, connectTimeout: 2000 });
    try {
      const status = await statusOf(() =>
        store.inTransaction(async () => {
          await store.create('Patient', patient({ id: 'in-flight' }));
          // The held connection ends between two statements: pg emits 'error' on the client itself,
          // which would end the process without a listener.
          await db.halt();
          await new Promise((resolve) => setTimeout(resolve, 300));
          await store.create('Patient', patient({ id: 'second' }));
        }),
      );
      assert.equal(status, 503);
      await db.restart();
      assert.equal(await statusOf(() => store.read('Patient', 'in-flight')), 404);
      await store.ping();
    } finally {
      await store.close();
    }
  });

  it('refuses what PostgreSQL cannot store with a 4xx naming it, not a 500', async () => {
    const store = new PostgresStore({
      url: db.url,
      indexRows: createIndexRows({ versions: { r4: TABLES } }),
    });
    try {
      assert.equal(
        await statusOf(() => store.create('Patient', patient({ id: 'nul', name: [{ family: 'a\u0000b' }] }))),
        400,
      );
      // Random, so that PostgreSQL cannot compress the index entry below its limit.
      const long = randomBytes(3000).toString('hex');
      assert.equal(
        await statusOf(() => store.create('Patient', patient({ id: 'long', name: [{ family: long }] }))),
        422,
      );
      assert.equal(await statusOf(() => store.read('Patient', 'long')), 404, 'nothing of it was kept');
      assert.equal(
        (await store.create('Patient', patient({ id: 'fine', name: [{ family: 'y'.repeat(600) }] }))).id,
        'fine',
      );
    } finally {
      await store.close();
    }
  });

  it('fails to open with one line naming the server and what to check', async () => {
    const store = new PostgresStore({ url: 'postgres://nobody@127.0.0.1:1/nowhere', connectTimeout: 2000 });
    try {
      const error = await store.open().catch((failure: unknown) => failure as Error);
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /^PostgreSQL at 127\.0\.0\.1:1 \(database nowhere\) cannot be reached: .*STORE_URL/,
      );
      assert.doesNotMatch(error.message, /\n/);
    } finally {
      await store.close();
    }
  });
});
