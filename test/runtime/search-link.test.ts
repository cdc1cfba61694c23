import assert from 'node:assert/strict';
import type { PageCursor } from '../../src/runtime/contracts';
import { pageLinks } from '../../src/runtime/search/bundle';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { renderSearchUrl } from '../../src/runtime/search/self-link';
import type { FhirVersion } from '../../src/runtime/search/table';
import { TABLES } from './fixtures/search/tables';

const BASE = 'https://example.org/r4';

function parse(resourceType: string, query: string, version: FhirVersion = 'r4', lenient = false) {
  const result = parseSearch(resourceType, readQueryPairs(query), {
    version,
    tables: TABLES,
    defaultCount: 10,
    maxCount: 50,
    lenient,
  });
  if (!result.ok) assert.fail(JSON.stringify(result.issues));
  return result.query;
}

describe('search self link', () => {
  const roundTrips: [string, string, FhirVersion?][] = [
    ['Patient', 'name=a\\,b,c&birthdate=ge2020&birthdate=le2021-05'],
    ['Patient', 'identifier=http://x.org|a\\|b&identifier=|1,sys|&name:exact=%C3%A9 x'],
    ['Patient', 'identifier:of-type=http://t.org|MR|1&gender:not=male&birthdate:missing=false'],
    [
      'Observation',
      'code-value-quantity=http://loinc.org|8480-6$gt100||mm[Hg]&value-quantity=5.4|http://unitsofmeasure.org|mg',
    ],
    ['Observation', 'subject:Patient.name:contains=pe&derived-from:below=http://x.org/Q|2'],
    ['Patient', '_has:Observation:patient:code:not=1,2&link:Patient=9'],
    [
      'Observation',
      'subject=http://other.org/fhir/Patient/1,Patient/2/_history/3,4&subject:identifier=s|v&code:text=a,b',
    ],
    [
      'Observation',
      '_include=Observation:subject:Patient&_include:iterate=Patient:organization&_revinclude=Observation:derived-from&_include=*',
    ],
    [
      'Patient',
      '_sort=family,-birthdate&_summary=data&_elements=name,gender&_total=none&_count=7&_offset=14',
    ],
    ['Patient', '_sort=family&_sort:desc=birthdate&_include:recurse=Patient:organization', 'dstu2'],
  ];
  for (const [type, query, version] of roundTrips) {
    it(`previous and next links parse back to the query with their cursor: ${type}?${query}`, () => {
      const parsed = parse(type, query, version);
      const { offset: _offset, ...firstQuery } = parsed;
      const next: PageCursor = { direction: 'next', key: ['k', 2, null, 'id9'], total: 31 };
      const previous: PageCursor = { direction: 'previous', key: ['a&b=c,d|e$f'] };
      const links = pageLinks(parsed, { next, previous }, { baseUrl: BASE, version: version ?? 'r4' });
      const url = (relation: string) => {
        const found = links.find((link) => link.relation === relation)?.url;
        assert.ok(found?.startsWith(`${BASE}/${type}?`), `a ${relation} link below the base`);
        return (found as string).slice((found as string).indexOf('?'));
      };
      assert.deepStrictEqual(
        parse(type, url('first'), version),
        firstQuery,
        'first: the query without offset',
      );
      assert.deepStrictEqual(parse(type, url('next'), version), { ...firstQuery, cursor: next }, 'next');
      assert.deepStrictEqual(
        parse(type, url('previous'), version),
        { ...firstQuery, cursor: previous },
        'previous',
      );
    });

    it(`parses back to the same query: ${type}?${query}`, () => {
      const first = parse(type, query, version);
      const url = renderSearchUrl(first, { baseUrl: BASE, version: version ?? 'r4' });
      assert.ok(url.startsWith(`${BASE}/${type}?`));
      const again = parse(type, url.slice(url.indexOf('?')), version);
      assert.deepStrictEqual(again, first);
    });
  }

  it('leaves out what lenient handling ignored and shows the page size used', () => {
    const query = parse('Patient', 'nonsense=1&gender=male&_count=500', 'r4', true);
    assert.equal(
      renderSearchUrl(query, { baseUrl: BASE, version: 'r4' }),
      `${BASE}/Patient?gender=male&_count=50`,
    );
  });

  it('keeps search characters readable and encodes the rest', () => {
    const query = parse('Patient', 'identifier=http://x.org|a b&name=x%26y');
    assert.equal(
      renderSearchUrl(query, { baseUrl: BASE, version: 'r4' }),
      `${BASE}/Patient?identifier=http://x.org|a%20b&name=x%26y&_count=10`,
    );
  });
});
