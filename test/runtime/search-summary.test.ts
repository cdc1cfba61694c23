/**
 * `_summary` and `_elements` in the store's answers (https://hl7.org/fhir/R4/search.html#summary),
 * with the element lists `generate models` writes into `server/search-parameters.json`.
 */
import assert from 'node:assert/strict';
import r4Tables from '../../generated/r4/server/search-parameters.json';
import type { SearchQuery } from '../../src/runtime/contracts';
import { createStoreSearchEngine } from '../../src/runtime/search/adapters';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { createSearchIndexer } from '../../src/runtime/search/sql/indexer';
import type { SearchTables } from '../../src/runtime/search/table';
import { SqliteStore, type StoreSearchResult } from '../../src/runtime/store/sqlite-store';

const tables = r4Tables as unknown as SearchTables;

describe('search: _summary and _elements in the store answers', () => {
  let store: SqliteStore;
  const engine = createStoreSearchEngine('r4', tables);

  before(() => {
    store = new SqliteStore({
      location: ':memory:',
      onWrite: createSearchIndexer({ versions: { r4: tables } }),
    });
    store.create('Patient', {
      resourceType: 'Patient',
      id: 'p',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">P</div>' },
      name: [{ family: 'Chalmers' }],
      gender: 'male',
      deceasedBoolean: false,
      maritalStatus: { text: 'married' },
      contact: [{ name: { family: 'Next' } }],
    });
    store.create('Observation', {
      resourceType: 'Observation',
      id: 'o',
      status: 'final',
      code: { text: 'weight' },
      subject: { reference: 'Patient/p' },
      note: [{ text: 'fasting' }],
      valueQuantity: { value: 70 },
    });
  });
  after(() => store.close());

  const query = (type: string, text: string): SearchQuery => {
    const parsed = parseSearch(type, readQueryPairs(text), {
      version: 'r4',
      tables,
      defaultCount: 10,
      maxCount: 100,
      lenient: false,
    });
    assert.ok(parsed.ok);
    return parsed.query;
  };
  const first = (type: string, text: string) => {
    // The SQLite store answers synchronously.
    const result = engine.search(query(type, text), store, {
      version: 'r4',
      baseUrl: 'http://x/r4',
    }) as StoreSearchResult;
    return result.match[0] as Record<string, unknown>;
  };
  const keys = (resource: Record<string, unknown>) => Object.keys(resource).sort();

  it('lists summary elements from isSummary (choices by group name), and the mandatory ones', () => {
    const patient = tables.Patient;
    assert.ok(patient?.summary?.includes('birthDate'));
    assert.ok(patient?.summary?.includes('deceased'));
    assert.ok(!patient?.summary?.includes('contact'));
    assert.ok(!patient?.summary?.includes('text'));
    assert.deepEqual(tables.Observation?.mandatory, ['status', 'code']);
  });

  it('_summary=true keeps the summary elements only and marks the resource SUBSETTED', () => {
    const patient = first('Patient', '_summary=true');
    assert.deepEqual(keys(patient), ['deceasedBoolean', 'gender', 'id', 'meta', 'name', 'resourceType']);
    const tags = (patient.meta as { tag: { code: string }[] }).tag.map((tag) => tag.code);
    assert.deepEqual(tags, ['SUBSETTED']);
  });

  it('_summary=text keeps text and mandatory elements; _summary=data drops text', () => {
    assert.deepEqual(keys(first('Observation', '_summary=text')), [
      'code',
      'id',
      'meta',
      'resourceType',
      'status',
    ]);
    assert.ok(!('text' in first('Patient', '_summary=data')));
    assert.ok('contact' in first('Patient', '_summary=data'));
  });

  it('_elements keeps the named and the mandatory elements', () => {
    assert.deepEqual(keys(first('Observation', '_elements=note')), [
      'code',
      'id',
      'meta',
      'note',
      'resourceType',
      'status',
    ]);
  });

  it('leaves resources whole without _summary, and with _summary=false', () => {
    assert.ok('contact' in first('Patient', 'gender=male'));
    assert.ok('maritalStatus' in first('Patient', '_summary=false'));
  });
});
