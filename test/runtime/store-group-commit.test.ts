/**
 * Group commit (store/group-commit.ts) on both stores: writes that arrive together commit in one
 * transaction, each answered after that commit, a failing one failing alone, in queue order.
 */
import assert from 'node:assert/strict';
import type { ResourceJson } from '../../src/runtime/binding';
import { FhirHttpError } from '../../src/runtime/outcome';
import { type OpenedStore, STORE_BACKENDS } from './fixtures/stores';

const patient = (extra: Record<string, unknown> = {}): ResourceJson => ({
  resourceType: 'Patient',
  gender: 'female',
  ...extra,
});

async function settled<T>(writes: (T | Promise<T>)[]) {
  const results = await Promise.allSettled(writes);
  const statuses = results.map((result) =>
    result.status === 'fulfilled'
      ? 'ok'
      : result.reason instanceof FhirHttpError
        ? result.reason.status
        : String(result.reason),
  );
  return { results, statuses };
}

for (const backend of STORE_BACKENDS) {
  describe(`store group commit: ${backend.name}`, function () {
    this.timeout(60_000);
    let opened: OpenedStore;
    beforeEach(async () => {
      opened = await backend.open();
    });
    afterEach(() => opened.close());

    it('commits 200 concurrent creates in a few batches, all readable, a taken id refused alone', async () => {
      const { store } = opened;
      await store.create('Patient', patient({ id: 'taken' }));
      const before = { ...store.commits };
      const creates = Array.from({ length: 200 }, (_, i) =>
        store.create('Patient', patient(i === 77 ? { id: 'taken' } : { id: `p${i}` })),
      );
      const { results, statuses } = await settled(creates);
      assert.deepEqual(
        statuses.map((status, i) => (i === 77 ? status : status === 'ok')),
        statuses.map((_, i) => (i === 77 ? 409 : true)),
        'every create answered, the taken id with 409',
      );
      const batches = store.commits.batches - before.batches;
      assert.equal(store.commits.writes - before.writes, 200, 'each write went through a group commit');
      assert.ok(batches <= 10, `200 writes committed in ${batches} transactions`);
      for (const [i, result] of results.entries()) {
        if (i === 77 || result.status !== 'fulfilled') continue;
        const read = await store.read('Patient', `p${i}`);
        assert.equal(read.meta?.versionId, '1');
      }
      const stamps = results
        .filter((result) => result.status === 'fulfilled')
        .map((result) => (result as PromiseFulfilledResult<ResourceJson>).value.meta?.lastUpdated as string);
      assert.deepEqual(stamps, [...stamps].sort(), 'lastUpdated increases in the order the writes were made');
      assert.equal(new Set(stamps).size, stamps.length, 'strictly');
      assert.equal((await store.read('Patient', 'taken')).gender, 'female', 'the taken id kept its resource');
    });

    it('gives two updates of one resource in one batch successive versions, If-Match seeing the first', async () => {
      const { store } = opened;
      await store.create('Patient', patient({ id: 'u' }));
      const [first, second, stale, removed] = await Promise.allSettled([
        store.update('Patient', 'u', patient({ id: 'u', gender: 'male' }), {
          allowCreate: false,
          ifMatch: '1',
        }),
        store.update('Patient', 'u', patient({ id: 'u', gender: 'other' }), {
          allowCreate: false,
          ifMatch: '2',
        }),
        store.update('Patient', 'u', patient({ id: 'u' }), { allowCreate: false, ifMatch: '1' }),
        store.delete('Patient', 'u'),
      ]);
      assert.equal(first.status === 'fulfilled' && first.value.resource.meta?.versionId, '2');
      assert.equal(second.status === 'fulfilled' && second.value.resource.meta?.versionId, '3');
      assert.equal(stale.status === 'rejected' && (stale.reason as FhirHttpError).status, 412);
      assert.equal(removed.status, 'fulfilled');
      const history = await store.history('Patient', { id: 'u' });
      assert.deepEqual(
        history.map((entry) => [
          entry.versionId,
          entry.method,
          (entry.resource as ResourceJson | undefined)?.gender,
        ]),
        [
          ['4', 'DELETE', undefined],
          ['3', 'PUT', 'other'],
          ['2', 'PUT', 'male'],
          ['1', 'POST', 'female'],
        ],
      );
      assert.ok(store.commits.largest >= 4, 'the four writes shared a batch');
    });

    it('answers a write only once it is committed: a second store sees it', async () => {
      const { store } = opened;
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.create('Patient', patient({ id: `seen${i}` }))),
      );
      const other = await opened.reopen();
      for (const resource of created) {
        assert.equal((await other.read('Patient', resource.id as string)).id, resource.id);
      }
    });
  });
}
