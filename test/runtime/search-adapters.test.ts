import assert from 'node:assert/strict';
import type { VersionBinding } from '../../src/runtime/binding';
import { FhirHttpError } from '../../src/runtime/outcome';
import { createSearchParser, createStoreSearchEngine } from '../../src/runtime/search/adapters';
import { createSearchIndexer, reindexStore } from '../../src/runtime/search/sql/indexer';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { r4Binding } from './fixtures/binding';
import { TABLES } from './fixtures/search/tables';

// The core's own test binding: the adapters read only its `id`.
const binding: VersionBinding = r4Binding;

describe('search adapters for the server core', () => {
  const parser = createSearchParser({ versions: { r4: TABLES }, defaultCount: 20, maxCount: 100 });

  it('parses through the SearchParser seam', () => {
    const query = parser.parse({
      resourceType: 'Patient',
      params: [
        ['gender', 'male'],
        ['_count', '5'],
      ],
      lenient: false,
      binding,
    });
    assert.deepEqual([query.params[0]?.name, query.count], ['gender', 5]);
  });

  it('answers 400 with one issue per bad parameter, naming it', () => {
    assert.throws(
      () =>
        parser.parse({
          resourceType: 'Patient',
          params: [
            ['nonsense', '1'],
            ['birthdate', 'soon'],
          ],
          lenient: false,
          binding,
        }),
      (error: unknown) => {
        assert.ok(error instanceof FhirHttpError);
        assert.equal(error.status, 400);
        assert.deepEqual(
          error.issues.map((i) => i.expression),
          [['nonsense'], ['birthdate']],
        );
        return true;
      },
    );
  });

  it('lists what lenient handling ignored', () => {
    const query = parser.parse({
      resourceType: 'Patient',
      params: [['nonsense', '1']],
      lenient: true,
      binding,
    });
    assert.deepEqual(
      query.ignored.map((i) => i.name),
      ['nonsense'],
    );
  });

  it('answers store searches, and 400 for what the store cannot do', async () => {
    const store = new SqliteStore({
      location: ':memory:',
      onWrite: createSearchIndexer({ versions: { r4: TABLES } }),
      searchEngine: createStoreSearchEngine('r4', TABLES),
    });
    try {
      store.create('Patient', {
        resourceType: 'Patient',
        id: 'a',
        gender: 'male',
        managingOrganization: { reference: 'Organization/o' },
      });
      store.create('Patient', { resourceType: 'Patient', id: 'b', gender: 'female' });
      store.create('Organization', { resourceType: 'Organization', id: 'o', name: 'Acme' });
      const query = parser.parse({
        resourceType: 'Patient',
        params: [
          ['gender', 'male'],
          ['_include', 'Patient:organization'],
        ],
        lenient: false,
        binding,
      });
      const result = await store.search(query);
      assert.deepEqual(
        result.match.map((r) => r.id),
        ['a'],
      );
      assert.deepEqual(
        result.include?.map((r) => r.id),
        ['o'],
      );
      assert.equal(result.total, 1);
      store.delete('Patient', 'a');
      assert.deepEqual((await store.search(query)).match, []);
      const unsupported = parser.parse({
        resourceType: 'Observation',
        params: [['code:in', 'http://x.org/vs']],
        lenient: false,
        binding,
      });
      assert.throws(
        () => store.search(unsupported),
        (error: unknown) => error instanceof FhirHttpError && error.status === 400,
      );
    } finally {
      store.close();
    }
  });
});

describe('search index lifecycle', () => {
  it('answers a search before the first write, and indexes data written before the indexer', async () => {
    const store = new SqliteStore({
      location: ':memory:',
      searchEngine: createStoreSearchEngine('r4', TABLES),
    });
    try {
      const parser = createSearchParser({ versions: { r4: TABLES }, defaultCount: 20, maxCount: 100 });
      const query = parser.parse({
        resourceType: 'Patient',
        params: [['gender', 'male']],
        lenient: false,
        binding,
      });
      assert.deepEqual((await store.search(query)).match, []);
      store.create('Patient', { resourceType: 'Patient', id: 'a', gender: 'male' });
      store.create('Patient', { resourceType: 'Patient', id: 'b', gender: 'male' });
      store.delete('Patient', 'b');
      assert.deepEqual((await store.search(query)).match, [], 'nothing is indexed without the hook');
      assert.equal(reindexStore(store.db, createSearchIndexer({ versions: { r4: TABLES } })), 1);
      assert.deepEqual(
        (await store.search(query)).match.map((r) => r.id),
        ['a'],
      );
    } finally {
      store.close();
    }
  });
});
