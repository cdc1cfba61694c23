/**
 * Keyset paging through the HTTP server (https://hl7.org/fhir/R4/http.html#paging): the store's
 * search engine gives next/previous links carrying their own cursor, the core passes them on, and a
 * walk through the pages sees every resource once while others are created between requests.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFhirApp } from '../../src/runtime/express/adapter';
import { createFhirHandler } from '../../src/runtime/http/handler';
import { createSearchParser, createStoreSearchEngine } from '../../src/runtime/search/adapters';
import { createSearchIndexer } from '../../src/runtime/search/sql/indexer';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeServices } from '../../src/runtime/store/store-service';
import { r4Binding } from './fixtures/binding';
import { TABLES } from './fixtures/search/tables';

interface Link {
  relation: string;
  url: string;
}
interface PageBundle {
  total?: number;
  link: Link[];
  entry?: { resource: { id: string; birthDate?: string } }[];
}

describe('search paging over HTTP', () => {
  let store: SqliteStore;
  let server: Server;
  let base: string;

  beforeEach(async () => {
    store = new SqliteStore({
      location: ':memory:',
      onWrite: createSearchIndexer({ versions: { r4: TABLES } }),
      searchEngine: createStoreSearchEngine('r4', TABLES),
    });
    const handler = createFhirHandler({
      binding: r4Binding,
      services: storeServices(store, ['Patient']),
      searchParser: createSearchParser({ versions: { r4: TABLES }, defaultCount: 20, maxCount: 100 }),
    });
    const app = createFhirApp({
      versions: [{ basePath: '/r4', handler }],
      limits: { maxBytes: 1024 * 1024, maxDepth: 64 },
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/r4`;
    for (let i = 0; i < 10; i++) {
      store.create('Patient', {
        resourceType: 'Patient',
        id: `p${i}`,
        gender: 'female',
        birthDate: `19${50 + i * 2}-01-01`,
      });
    }
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    store.close();
  });

  const get = async (url: string): Promise<PageBundle> => {
    const response = await fetch(url);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as PageBundle;
  };
  const link = (bundle: PageBundle, relation: string) =>
    bundle.link.find((candidate) => candidate.relation === relation)?.url;
  const ids = (bundle: PageBundle) => (bundle.entry ?? []).map((entry) => entry.resource.id);

  it('pages by cursor, not by _offset, with self, first, previous and next', async () => {
    const first = await get(`${base}/Patient?gender=female&_sort=birthdate&_count=4`);
    assert.deepEqual(
      first.link.map((candidate) => candidate.relation),
      ['self', 'first', 'next'],
    );
    assert.match(link(first, 'next') ?? '', /_cursor=/);
    assert.doesNotMatch(link(first, 'next') ?? '', /_offset=/);
    const second = await get(link(first, 'next') as string);
    assert.deepEqual(ids(second), ['p4', 'p5', 'p6', 'p7']);
    const back = await get(link(second, 'previous') as string);
    assert.deepEqual(ids(back), ['p0', 'p1', 'p2', 'p3']);
  });

  it('sees each match once when matches are created before the current position between pages', async () => {
    const seen: string[] = [];
    let url: string | undefined = `${base}/Patient?gender=female&_sort=birthdate&_count=3`;
    let created = 0;
    while (url !== undefined) {
      const page = await get(url);
      seen.push(...ids(page));
      // Born before everyone: sorts before the pages already read, so an offset would repeat one.
      store.create('Patient', {
        resourceType: 'Patient',
        id: `early${created}`,
        gender: 'female',
        birthDate: `1900-01-0${1 + created}`,
      });
      created += 1;
      url = link(page, 'next');
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 10 }, (_, i) => `p${i}`),
    );
  });

  it('sees matches created after the current position, with no gap, as an offset would not after a deletion', async () => {
    const first = await get(`${base}/Patient?gender=female&_sort=birthdate&_count=5`);
    assert.deepEqual(ids(first), ['p0', 'p1', 'p2', 'p3', 'p4']);
    // A deletion before the position shifts an offset by one (p5 would be skipped); a creation after
    // it must appear.
    store.delete('Patient', 'p1');
    store.create('Patient', {
      resourceType: 'Patient',
      id: 'late',
      gender: 'female',
      birthDate: '2030-01-01',
    });
    const seen: string[] = [];
    let url = link(first, 'next');
    while (url !== undefined) {
      const page = await get(url);
      seen.push(...ids(page));
      url = link(page, 'next');
    }
    assert.deepEqual(seen, ['p5', 'p6', 'p7', 'p8', 'p9', 'late']);
  });

  it('seals its cursors: they show no id, key or total, and a changed one is refused with 400', async () => {
    const first = await get(`${base}/Patient?gender=female&_sort=birthdate&_count=4`);
    const next = new URL(link(first, 'next') as string);
    const cursor = next.searchParams.get('_cursor') as string;
    const text = Buffer.from(cursor, 'base64url').toString('latin1');
    assert.ok(!text.includes('"k":') && !text.includes('"t":'), text);
    assert.throws(() => JSON.parse(text));
    const flipped = Buffer.from(cursor, 'base64url');
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    next.searchParams.set('_cursor', flipped.toString('base64url'));
    const response = await fetch(next);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /_cursor/);
  });

  it('counts the total on the first page and carries it through the cursor; _total=accurate recounts', async () => {
    const first = await get(`${base}/Patient?gender=female&_count=4`);
    assert.equal(first.total, 10);
    store.create('Patient', { resourceType: 'Patient', id: 'extra', gender: 'female' });
    const carried = await get(link(first, 'next') as string);
    assert.equal(carried.total, 10);
    const accurate = await get(`${base}/Patient?gender=female&_count=4&_total=accurate`);
    store.create('Patient', { resourceType: 'Patient', id: 'extra2', gender: 'female' });
    assert.equal((await get(link(accurate, 'next') as string)).total, 12);
  });
});
