import assert from 'node:assert/strict';
import type { ResourceJson } from '../../src/runtime/binding';
import { createFhirHandler } from '../../src/runtime/http/handler';
import { bodyText, JsonText } from '../../src/runtime/http/json-text';
import { copyJson, ResultCache, sameJson } from '../../src/runtime/http/result-cache';
import type { FhirRequest } from '../../src/runtime/http/types';
import { createSearchParser, createStoreSearchEngine } from '../../src/runtime/search/adapters';
import { createSearchIndexer } from '../../src/runtime/search/sql/indexer';
import type { ResourceService } from '../../src/runtime/service';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { storeService, storeServices } from '../../src/runtime/store/store-service';
import { countCalls, countingBinding } from './fixtures/counting';
import { generatedBinding } from './fixtures/generated';
import { TABLES } from './fixtures/search/tables';
import { type AnyJson, patient, put, startTestServer } from './fixtures/server';

function get(path: string): FhirRequest {
  return { method: 'GET', path, query: [], headers: {}, baseUrl: 'http://fhir.test/r4', requestId: 't' };
}

async function read(handler: ReturnType<typeof createFhirHandler>, path: string) {
  const response = await handler.handle(get(path));
  return { status: response.status, json: JSON.parse(bodyText(response.body)) as AnyJson, response };
}

const stored = (extra: Record<string, unknown> = {}): ResourceJson => ({
  resourceType: 'Patient',
  id: 'p1',
  meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
  gender: 'male',
  ...extra,
});

describe('runtime http: reads reuse their cast only for exactly the same JSON', () => {
  const r4 = generatedBinding('r4');

  it('casts a result read again unchanged once, and every time with the cache off', async () => {
    for (const [bytes, expected] of [
      [undefined, 1],
      [0, 3],
    ] as const) {
      const { binding, casts } = countingBinding(r4);
      const service: ResourceService = { read: () => stored() };
      const handler = createFhirHandler({
        binding,
        services: { Patient: service },
        ...(bytes === undefined ? {} : { resultCacheBytes: bytes }),
      });
      for (let i = 0; i < 3; i++) assert.equal((await read(handler, '/Patient/p1')).json.gender, 'male');
      assert.equal(casts(), expected);
    }
  });

  it('serves what the service returns now, even under the same id and versionId', async () => {
    let current = stored();
    const handler = createFhirHandler({ binding: r4, services: { Patient: { read: () => current } } });
    assert.equal((await read(handler, '/Patient/p1')).json.gender, 'male');
    current = stored({ gender: 'female' });
    assert.equal((await read(handler, '/Patient/p1')).json.gender, 'female');
    // The same object changed in place is not the JSON the cached cast was made from either.
    current.gender = 'other';
    assert.equal((await read(handler, '/Patient/p1')).json.gender, 'other');
    (current as AnyJson).birthDate = '1970-01-01';
    const after = await read(handler, '/Patient/p1');
    assert.equal(after.json.birthDate, '1970-01-01');
    // An invalid result under the same version is a 500, not the valid one cached before.
    current = stored({ gender: 'not-a-gender' });
    assert.equal((await read(handler, '/Patient/p1')).status, 500);
  });

  it('never answers one version with the cast made for another', async () => {
    // Valid in STU3, invalid in R4 (R4 requires Encounter.class): the same JSON, two answers.
    const encounter = { resourceType: 'Encounter', id: 'e1', meta: { versionId: '1' }, status: 'finished' };
    const services = { Encounter: { read: () => structuredClone(encounter) } };
    const stu3 = createFhirHandler({ binding: generatedBinding('stu3'), services });
    const onR4 = createFhirHandler({ binding: r4, services });
    for (let round = 0; round < 2; round++) {
      assert.equal((await read(stu3, '/Encounter/e1')).status, 200);
      assert.equal((await read(onR4, '/Encounter/e1')).status, 500);
    }
  });

  it('reads the new version after an update and 410 after a delete, through the embedded store', async () => {
    const server = await startTestServer();
    try {
      const url = `${server.url}/r4/Patient/c1`;
      assert.equal((await put(url, patient({ id: 'c1' }))).status, 201);
      const first = (await (await fetch(url)).json()) as AnyJson;
      assert.equal(((await (await fetch(url)).json()) as AnyJson).gender, 'male');
      assert.equal((await put(url, patient({ id: 'c1', gender: 'female' }))).status, 200);
      const second = (await (await fetch(url)).json()) as AnyJson;
      assert.equal(second.gender, 'female');
      assert.notEqual(second.meta.versionId, first.meta.versionId);
      // The old version is still itself.
      const old = (await (await fetch(`${url}/_history/${first.meta.versionId}`)).json()) as AnyJson;
      assert.equal(old.gender, 'male');
      assert.equal((await fetch(url, { method: 'DELETE' })).status, 204);
      assert.equal((await fetch(url)).status, 410);
    } finally {
      await server.stop();
    }
  });

  it('reuses casts in search Bundles and sends the same JSON as without the cache', async () => {
    const matches = [stored(), stored({ id: 'p2', gender: 'female' })];
    const services = { Patient: { search: () => matches.map((m) => structuredClone(m)) } };
    const search = (bytes?: number) => {
      const { binding, casts } = countingBinding(r4);
      const handler = createFhirHandler({
        binding,
        services,
        ...(bytes === undefined ? {} : { resultCacheBytes: bytes }),
      });
      return { handler, casts };
    };
    const cached = search();
    const plain = search(0);
    for (let i = 0; i < 2; i++) {
      const a = await cached.handler.handle(get('/Patient'));
      const b = await plain.handler.handle(get('/Patient'));
      assert.equal(bodyText(a.body), bodyText(b.body));
      assert.equal(bodyText(a.body), JSON.stringify(a.body));
    }
    assert.equal(cached.casts(), 2);
    assert.equal(plain.casts(), 4);
  });

  it('keeps to its memory bound, dropping the least recently used', () => {
    const cache = new ResultCache(200 * 6);
    const json = (id: string) => ({ resourceType: 'Patient', id, meta: { versionId: '1' } });
    const text = (id: string) => new JsonText(`"${id}"`.padEnd(100, ' '));
    cache.set(json('a'), text('a'));
    cache.set(json('b'), text('b'));
    assert.ok(cache.get(json('a')));
    cache.set(json('c'), text('c'));
    assert.ok(cache.get(json('a')), 'used last, kept');
    assert.equal(cache.get(json('b')), undefined, 'least recently used, dropped');
    assert.ok(cache.get(json('c')));
  });
});

describe('runtime http: comparing results with the cached copy', () => {
  it('is the same only for the same plain JSON, keys in the same order', () => {
    const value = { a: [1, { b: 'x' }], c: null, d: true };
    const copy = copyJson(value);
    assert.ok(sameJson(value, copy));
    assert.ok(!sameJson({ c: null, a: [1, { b: 'x' }], d: true }, copy));
    assert.ok(!sameJson({ ...value, d: false }, copy));
    assert.ok(!sameJson({ ...value, a: [1, { b: 'x' }, 2] }, copy));
    assert.ok(!sameJson({ ...value, e: undefined }, copy));
    assert.ok(!sameJson({ ...value, a: { 0: 1, 1: { b: 'x' } } }, copy));
  });

  it('never takes an object with a prototype of its own for plain JSON', () => {
    class Wrapped {
      constructor(readonly b: string) {}
      toJSON() {
        return 'other';
      }
    }
    const copy = copyJson({ a: { b: 'x' } });
    assert.ok(!sameJson({ a: new Wrapped('x') }, copy));
    assert.ok(!sameJson({ a: new Date(0) }, copyJson({ a: {} })));
  });

  it('copies plain JSON only', () => {
    assert.equal(copyJson({ a: new Date(0) }), undefined);
    assert.equal(copyJson({ a: Number.NaN }), undefined);
    assert.equal(copyJson({ a: () => 1 }), undefined);
    assert.equal(copyJson({ a: undefined }), undefined);
    assert.equal(copyJson(JSON.parse('{"__proto__": {"x": 1}}')), undefined);
    const source = { a: [{ b: 1 }] };
    const copy = copyJson(source) as typeof source;
    assert.deepEqual(copy, source);
    source.a[0] = { b: 2 };
    assert.equal(copy.a[0]?.b, 1);
  });
});

describe('runtime http: response text', () => {
  it('writes Bundles with pre-serialised entries as JSON.stringify writes them', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      skipped: undefined,
      entry: [
        { fullUrl: 'u', resource: { resourceType: 'Patient', id: 'x' }, search: { mode: 'match' } },
        { fullUrl: 'v', resource: new JsonText('{"resourceType":"Patient","id":"y"}'), search: {} },
        { response: { status: '204' } },
        undefined,
      ],
    };
    assert.equal(bodyText(bundle), JSON.stringify(bundle));
    assert.match(bodyText(bundle), /"fullUrl":"v","resource":\{"resourceType":"Patient","id":"y"\}/);
    const text = new JsonText('{"resourceType":"Patient"}');
    assert.equal(bodyText(text), text.text);
    assert.equal(bodyText({ entry: 'not a list' }), JSON.stringify({ entry: 'not a list' }));
  });
});

describe("runtime http: reads through storeService's own read take the stored text", () => {
  const r4 = generatedBinding('r4');

  /** A store whose parsed reads are counted: the stored-text path never calls `read`. */
  function countingStore(): { store: SqliteStore; parsedReads: () => number } {
    const store = new SqliteStore({ location: ':memory:' });
    return { store, parsedReads: countCalls(store, 'read') };
  }

  it('answers as the service would, casting each stored text once', async () => {
    const { store, parsedReads } = countingStore();
    const { binding, casts } = countingBinding(r4);
    store.update('Patient', 'p1', stored(), { allowCreate: true });
    const handler = createFhirHandler({ binding, services: { Patient: storeService(store, 'Patient') } });
    const plain = createFhirHandler({
      binding: r4,
      services: { Patient: { read: (id) => store.read('Patient', id) } },
    });
    const expected = await read(plain, '/Patient/p1');
    const before = parsedReads();
    for (let i = 0; i < 3; i++) {
      const answer = await read(handler, '/Patient/p1');
      assert.deepEqual(answer.json, expected.json, 'the same body as through the service');
      assert.deepEqual(answer.response.headers, expected.response.headers, 'the same ETag and Last-Modified');
    }
    assert.equal(parsedReads(), before, 'the store was asked for text, never for parsed JSON');
    assert.equal(casts(), 1, 'the stored text was cast once');
    store.update('Patient', 'p1', stored({ gender: 'female' }), { allowCreate: false });
    const updated = await read(handler, '/Patient/p1');
    assert.equal(updated.json.gender, 'female', 'a new stored text is cast anew');
    assert.equal(updated.response.headers?.ETag, 'W/"2"', 'with its own version');
    store.delete('Patient', 'p1');
    assert.equal((await read(handler, '/Patient/p1')).status, 410, 'a deletion answers 410');
    assert.equal((await read(handler, '/Patient/nope')).status, 404, 'an unknown id answers 404');
  });

  it('goes through the service when its read is replaced, wrapped or made for another type', async () => {
    const { store, parsedReads } = countingStore();
    store.update('Patient', 'p1', stored(), { allowCreate: true });
    store.update(
      'Observation',
      'p1',
      { resourceType: 'Observation', id: 'p1', status: 'final', code: { text: 'x' } },
      { allowCreate: true },
    );
    const base = storeService(store, 'Patient');
    const replaced = createFhirHandler({
      binding: r4,
      services: {
        Patient: { ...base, read: async (id, ctx) => ({ ...(await base.read?.(id, ctx)), gender: 'other' }) },
      },
    });
    assert.equal((await read(replaced, '/Patient/p1')).json.gender, 'other', "the user's read decides");
    const observations = storeService(store, 'Observation');
    const misplaced = createFhirHandler({
      binding: r4,
      services: { Patient: { read: observations.read } },
    });
    assert.equal(
      (await read(misplaced, '/Patient/p1')).status,
      500,
      "another type's read is the service's answer: wrong type",
    );
    assert.equal(parsedReads(), 2, 'both went through the store read');
  });

  it('reports dropped properties on every read, as a read through the service does', async () => {
    const store = new SqliteStore({ location: ':memory:' });
    store.update('Patient', 'p1', stored({ animal: { species: { text: 'dog' } } }), { allowCreate: true });
    const dropped: string[][] = [];
    const handler = createFhirHandler({
      binding: r4,
      services: { Patient: storeService(store, 'Patient') },
      droppedProperties: 'drop',
      onDropped: (_service, paths) => dropped.push(paths),
    });
    for (let i = 0; i < 2; i++) {
      const answer = await read(handler, '/Patient/p1');
      assert.equal(answer.status, 200, 'served in this version');
      assert.equal(answer.json.animal, undefined, 'without the element R4 does not define');
    }
    assert.equal(dropped.length, 2, 'each read reported what it dropped');
  });
});

describe("runtime http: searches through storeService's own search take the stored texts", () => {
  const r4 = generatedBinding('r4');
  const searchParser = createSearchParser({ versions: { r4: TABLES }, defaultCount: 20, maxCount: 100 });

  /** An indexed store holding two Patients and an Observation of each, whose parsed searches are counted. */
  function indexedStore(): { store: SqliteStore; parsedSearches: () => number } {
    const store = new SqliteStore({
      location: ':memory:',
      onWrite: createSearchIndexer({ versions: { r4: TABLES } }),
      searchEngine: createStoreSearchEngine('r4', TABLES),
    });
    for (const [id, gender] of [
      ['p1', 'male'],
      ['p2', 'female'],
    ] as const) {
      store.update('Patient', id, stored({ id, gender }), { allowCreate: true });
      store.update(
        'Observation',
        `o-${id}`,
        {
          resourceType: 'Observation',
          id: `o-${id}`,
          status: 'final',
          code: { text: 'weight' },
          subject: { reference: `Patient/${id}` },
        },
        { allowCreate: true },
      );
    }
    return { store, parsedSearches: countCalls(store, 'search') };
  }

  const searchOf = (query: string): FhirRequest => {
    const [path = '', params = ''] = query.split('?');
    return { ...get(path), query: [...new URLSearchParams(params)] };
  };

  /** The same store behind storeService's own search and behind a wrapped one, which parses. */
  function handlers(store: SqliteStore, extra: Partial<Parameters<typeof createFhirHandler>[0]> = {}) {
    const direct = storeServices(store, ['Patient', 'Observation']);
    const { binding, casts } = countingBinding(r4);
    const wrapped = Object.fromEntries(
      Object.entries(direct).map(([type, service]) => [
        type,
        { ...service, search: (query, ctx) => service.search?.(query, ctx) } as ResourceService,
      ]),
    );
    return {
      text: createFhirHandler({ binding, services: direct, searchParser, ...extra }),
      parsed: createFhirHandler({ binding: r4, services: wrapped, searchParser, ...extra }),
      casts,
    };
  }

  it('answers with the Bundle the service gives, casting each stored text once', async () => {
    const { store, parsedSearches } = indexedStore();
    const { text, parsed, casts } = handlers(store);
    const query = '/Observation?subject:Patient.gender=male,female&_include=Observation:subject&_count=1';
    // Each cursor is sealed with a fresh IV: links are compared without it.
    const unsealed = (text: string) => text.replace(/_cursor=[^"]+/g, '_cursor=sealed');
    const expected = unsealed(bodyText((await parsed.handle(searchOf(query))).body));
    const viaService = parsedSearches();
    assert.equal(viaService, 1, 'the wrapped search parsed the store rows');
    for (let i = 0; i < 3; i++) {
      const answer = await text.handle(searchOf(query));
      assert.equal(answer.status, 200, 'the search answers');
      assert.equal(
        unsealed(bodyText(answer.body)),
        expected,
        'the same Bundle: entries, modes, total and links',
      );
    }
    assert.equal(parsedSearches(), viaService, 'the store was asked for stored texts, never parsed rows');
    assert.equal(casts(), 2, 'one match and one included resource, each cast once over three searches');
    const json = JSON.parse(expected) as AnyJson;
    assert.equal(json.total, 2, 'the total counts every match');
    assert.deepEqual(
      json.entry.map((entry: AnyJson) => entry.search.mode),
      ['match', 'include'],
      'the page holds a match and the Patient it refers to',
    );
    store.update('Patient', 'p1', stored({ id: 'p1', gender: 'other' }), { allowCreate: false });
    const after = JSON.parse(bodyText((await text.handle(searchOf('/Patient?_id=p1'))).body)) as AnyJson;
    assert.equal(after.entry[0].resource.gender, 'other', 'a new version is cast anew');
    assert.equal(after.entry[0].resource.meta.versionId, '2', 'with its own versionId');
  });

  it('goes through the service for _summary and _elements, which reshape the resources', async () => {
    const { store, parsedSearches } = indexedStore();
    const { text, parsed } = handlers(store);
    for (const query of ['/Patient?_summary=true', '/Patient?_elements=gender', '/Patient?_summary=count']) {
      const before = parsedSearches();
      const answer = bodyText((await text.handle(searchOf(query))).body);
      assert.equal(parsedSearches(), before + 1, `${query} went through the parsed search`);
      assert.equal(
        answer,
        bodyText((await parsed.handle(searchOf(query))).body),
        `${query}: the same Bundle`,
      );
    }
  });

  it('leaves out and reports invalid resources, and reports dropped properties on every search', async () => {
    const { store } = indexedStore();
    store.update('Patient', 'p3', stored({ id: 'p3', gender: 'robot' }), { allowCreate: true });
    store.update('Patient', 'p4', stored({ id: 'p4', animal: { species: { text: 'dog' } } }), {
      allowCreate: true,
    });
    const dropped: string[][] = [];
    const { text, parsed } = handlers(store, {
      droppedProperties: 'drop',
      onDropped: (_service, paths) => dropped.push(paths),
    });
    const expected = bodyText((await parsed.handle(searchOf('/Patient'))).body);
    dropped.length = 0;
    for (let i = 0; i < 2; i++) {
      const answer = bodyText((await text.handle(searchOf('/Patient'))).body);
      assert.equal(answer, expected, 'the same Bundle as through the service');
    }
    const json = JSON.parse(expected) as AnyJson;
    assert.deepEqual(
      json.entry.filter((entry: AnyJson) => entry.search.mode === 'match').map((e: AnyJson) => e.resource.id),
      ['p1', 'p2', 'p4'],
      'the invalid Patient is left out',
    );
    assert.match(
      JSON.stringify(json.entry.at(-1)),
      /left out: .*p3|gender/,
      'and reported in the outcome entry',
    );
    assert.equal(dropped.length, 2, 'each search reported the dropped element');
  });
});
