/**
 * The same search engine on two databases: generated queries over one small data set answer the same
 * on SQLite and PostgreSQL (matches in order, totals, includes, next-page cursors), or are refused
 * alike. Values are drawn from characters that stress the dialect: LIKE wildcards, backslashes,
 * accents, quotes, comparisons of text and of ranges.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SearchQuery } from '../../src/runtime/contracts';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import type { ExampleResource } from './fixtures/search/corpus';
import { SEARCH_BACKENDS, type SearchStore } from './fixtures/search/stores';
import { TABLES } from './fixtures/search/tables';

const FAMILIES = [
  'Smith',
  'Smíth',
  'smithers',
  "O'Brien",
  '100%',
  'a_b',
  'back\\slash',
  'Zoë',
  'Ångström',
  '',
];
const BIRTH = ['1970', '1970-06', '1970-06-15', '1985-01-01', '1999-12-31', '2020-02-29'];

function dataSet(): ExampleResource[] {
  const resources: ExampleResource[] = [
    { resourceType: 'Organization', id: 'org1', name: 'Acme' },
    { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Who' }] },
  ];
  for (let i = 0; i < 30; i++) {
    const family = FAMILIES[i % FAMILIES.length] as string;
    resources.push({
      resourceType: 'Patient',
      id: `p${i}`,
      ...(family === '' ? {} : { name: [{ family, given: [`G${i % 4}`] }] }),
      ...(i % 7 === 0 ? {} : { birthDate: BIRTH[i % BIRTH.length] }),
      gender: ['male', 'female', 'other'][i % 3],
      identifier: [{ system: i % 2 ? 'urn:a' : 'urn:b', value: `id${i % 5}` }],
      ...(i % 3 === 0 ? { managingOrganization: { reference: 'Organization/org1' } } : {}),
      ...(i % 4 === 0 ? { generalPractitioner: [{ reference: 'Practitioner/dr1' }] } : {}),
    });
    resources.push({
      resourceType: 'Observation',
      id: `o${i}`,
      status: i % 5 ? 'final' : 'preliminary',
      code: { coding: [{ system: 'http://loinc.org', code: `c${i % 3}` }] },
      subject: { reference: `Patient/p${i % 10}` },
      valueQuantity: { value: i * 1.5, system: 'http://unitsofmeasure.org', code: 'mg' },
      effectiveDateTime: `20${10 + (i % 10)}-0${1 + (i % 9)}-1${i % 9}`,
    });
  }
  return resources;
}

const PATIENT_KEYS = [
  'name',
  'family',
  'name:exact',
  'name:contains',
  'birthdate',
  'gender',
  'gender:not',
  'identifier',
  'organization',
  'general-practitioner',
  'birthdate:missing',
  '_id',
  '_has:Observation:patient:code',
  'organization.name',
];
const VALUES = [
  's',
  'S',
  'smi',
  'Smith',
  'í',
  '%',
  '_',
  '\\',
  "'",
  'zo',
  'å',
  'male',
  'female',
  'urn:a|id1',
  'id2',
  'c1',
  'Organization/org1',
  'Practitioner/dr1',
  'Acme',
  'true',
  'false',
  'p1',
  'p2,p3',
];
const DATES = [
  '1970',
  'ge1970',
  'le1985-01',
  'gt1970-06',
  'lt2000',
  'eq1970-06-15',
  'ne1985',
  'sa1970',
  'eb1999',
  'ap1985',
];
const SORTS = ['', 'birthdate', '-birthdate', 'family', '-name', 'gender,-birthdate', '_id'];

const patientQuery = fc
  .record({
    params: fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom(...PATIENT_KEYS), fc.constantFrom(...VALUES)),
        fc.tuple(fc.constant('birthdate'), fc.constantFrom(...DATES)),
      ),
      { maxLength: 3 },
    ),
    sort: fc.constantFrom(...SORTS),
    count: fc.integer({ min: 1, max: 7 }),
    include: fc.constantFrom('', 'Patient:organization', 'Patient:general-practitioner'),
    revinclude: fc.constantFrom('', 'Observation:subject'),
  })
  .map(({ params, sort, count, include, revinclude }) => {
    const pairs = params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`);
    if (sort) pairs.push(`_sort=${sort}`);
    if (include) pairs.push(`_include=${include}`);
    if (revinclude) pairs.push(`_revinclude=${revinclude}`);
    pairs.push(`_count=${count}`);
    return pairs.join('&');
  });

describe('search engine: SQLite and PostgreSQL answer generated queries alike', function () {
  this.timeout(300_000);
  let stores: SearchStore[];
  before(async () => {
    stores = await Promise.all(SEARCH_BACKENDS.map((backend) => backend.open({ r4: TABLES }, dataSet())));
  });
  after(async () => {
    for (const store of stores ?? []) await store.close();
  });

  async function answer(store: SearchStore, query: SearchQuery): Promise<string> {
    try {
      const page = await store.search(query, { version: 'r4', tables: TABLES, baseUrl: 'http://x/r4' });
      const keys = (list: { resourceType: string; id: string }[]) =>
        list.map((r) => `${r.resourceType}/${r.id}`);
      return JSON.stringify({
        matches: keys(page.matches),
        includes: keys(page.includes).sort(),
        total: page.total,
        next: page.next?.key,
      });
    } catch (error) {
      return `refused: ${(error as Error).name} ${(error as Error).message}`;
    }
  }

  it('for 300 generated Patient searches, and their second pages', async () => {
    let nonEmpty = 0;
    let included = 0;
    let paged = 0;
    await fc.assert(
      fc.asyncProperty(patientQuery, async (text) => {
        const parsed = parseSearch('Patient', readQueryPairs(text), {
          version: 'r4',
          tables: TABLES,
          defaultCount: 10,
          maxCount: 50,
          lenient: true,
        });
        if (!parsed.ok) return;
        const [sqlite, postgres] = await Promise.all(stores.map((store) => answer(store, parsed.query)));
        assert.equal(postgres, sqlite, text);
        const first = JSON.parse(sqlite?.startsWith('{') ? sqlite : '{}') as {
          matches?: string[];
          includes?: string[];
          next?: SearchQuery['cursor'];
        };
        if ((first.matches?.length ?? 0) > 0) nonEmpty++;
        if ((first.includes?.length ?? 0) > 0) included++;
        const cursor = first.next;
        if (cursor === undefined) return;
        paged++;
        const next = { ...parsed.query, cursor: { direction: 'next' as const, key: cursor as never } };
        const [again, page2] = await Promise.all(stores.map((store) => answer(store, next)));
        assert.equal(page2, again, `${text} (second page)`);
      }),
      { numRuns: 300, seed: 8 },
    );
    assert.ok(nonEmpty > 50, `only ${nonEmpty} searches found something`);
    assert.ok(included > 20 && paged > 20, `${included} searches included, ${paged} had a next page`);
  });
});
