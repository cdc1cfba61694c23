/**
 * A parameter repeated (ANDed, https://hl7.org/fhir/R4/search.html#combining) matches a resource when
 * some value meets each repetition, whether one value meets them all or different values do. The
 * engine answers single-valued resources from one row and checks the others value by value.
 */
import assert from 'node:assert/strict';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { SEARCH_BACKENDS, type SearchStore } from './fixtures/search/stores';
import { TABLES } from './fixtures/search/tables';

for (const backend of SEARCH_BACKENDS) {
  describe(`search: repeated parameters over several values, on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: SearchStore;
    const families: Record<string, string[]> = {
      one: ['Alphabet'],
      alphaOnly: ['Alpha'],
      split: ['Alpha', 'Beta'],
      third: ['Zed', 'Alpha', 'Beta'],
      late: ['Zed', 'Yak', 'Alpha', 'Beta'],
      none: ['Zed'],
    };

    before(async () => {
      const patients = Object.entries(families).map(([id, names]) => ({
        resourceType: 'Patient',
        id,
        name: names.map((family) => ({ family })),
        birthDate: id === 'one' ? '1972-05-01' : '1990-01-01',
      }));
      store = await backend.open({ r4: TABLES }, patients);
    });
    after(() => store?.close());

    const run = async (query: string) => {
      const parsed = parseSearch('Patient', readQueryPairs(query), {
        version: 'r4',
        tables: TABLES,
        defaultCount: 100,
        maxCount: 100,
        lenient: false,
      });
      assert.ok(parsed.ok);
      const page = await store.search(parsed.query, { version: 'r4', tables: TABLES });
      return { ids: page.matches.map((resource) => resource.id).sort(), total: page.total };
    };
    /** The expectation computed from the data: some family starts with each prefix. */
    const want = (...prefixes: string[]) =>
      Object.entries(families)
        .filter(([, names]) =>
          prefixes.every((prefix) => names.some((name) => name.toLowerCase().startsWith(prefix))),
        )
        .map(([id]) => id)
        .sort();

    for (const prefixes of [
      ['alp', 'bet'],
      ['alp', 'alph'],
      ['alpha', 'alphab'],
      ['zed', 'bet', 'alp'],
      ['yak', 'bet'],
      ['bet', 'zzz'],
    ]) {
      it(`family=${prefixes.join('&family=')}`, async () => {
        const query = prefixes.map((prefix) => `family=${prefix}`).join('&');
        const expected = want(...prefixes);
        assert.deepEqual(await run(query), { ids: expected, total: expected.length });
      });
    }

    it('dates: ge and le on one value, with other parameters ANDed', async () => {
      assert.deepEqual((await run('birthdate=ge1970&birthdate=le1975')).ids, ['one']);
      assert.deepEqual((await run('birthdate=ge1970&birthdate=le1975&family=zed')).ids, []);
      assert.deepEqual((await run('birthdate=ge1980&birthdate=le1995&family=zed')).ids, [
        'late',
        'none',
        'third',
      ]);
    });
  });
}
