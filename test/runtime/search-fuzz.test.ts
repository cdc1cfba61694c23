import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseSearch, readQueryPairs } from '../../src/runtime/search/parse';
import { renderSearchUrl } from '../../src/runtime/search/self-link';
import { TABLES } from './fixtures/search/tables';

const OPTIONS = { version: 'r4' as const, tables: TABLES, defaultCount: 10, maxCount: 50, lenient: false };
const KEYS = [
  'name',
  'name:exact',
  'birthdate',
  'gender',
  'gender:not',
  'identifier',
  'identifier:of-type',
  'organization',
  'general-practitioner:Practitioner',
  '_id',
  '_count',
  '_sort',
  '_include',
  '_summary',
  '_elements',
  '_has:Observation:patient:code',
  'link.name',
  '__proto__',
  'constructor',
  '_cursor',
  'birthdate:missing',
];
const VALUE_CHARS = [
  'a',
  'Z',
  '0',
  '9',
  '-',
  '.',
  ',',
  '|',
  '$',
  '\\',
  ':',
  '/',
  ' ',
  'é',
  'ge',
  'le',
  'ap',
  '2020',
  'T',
  'Patient/',
  '%',
];

const pair = fc.tuple(
  fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 })),
  fc.array(fc.constantFrom(...VALUE_CHARS), { maxLength: 8 }).map((parts) => parts.join('')),
);

describe('search parser under generated queries', () => {
  it('never throws, and names a parameter in every issue', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), (pairs) => {
        const result = parseSearch('Patient', pairs, OPTIONS);
        if (!result.ok) {
          assert.ok(result.issues.length > 0);
          for (const issue of result.issues) assert.ok(pairs.some(([key]) => key === issue.param));
        }
        assert.equal(Object.getPrototypeOf({}), Object.prototype);
      }),
      { numRuns: 5000 },
    );
  });

  it('renders every accepted query to a link that parses back to it', () => {
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), (pairs) => {
        const result = parseSearch('Patient', pairs, OPTIONS);
        if (!result.ok) return;
        const url = renderSearchUrl(result.query, { version: 'r4', baseUrl: 'http://x' });
        const again = parseSearch('Patient', readQueryPairs(url.slice(url.indexOf('?'))), OPTIONS);
        assert.ok(again.ok, url);
        assert.deepStrictEqual(again.query, result.query);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts well-formed queries and round-trips them through the self link', () => {
    const text = fc
      .array(fc.constantFrom('a', 'é', 'Z', ' ', '\\,', '\\|', '\\$', '\\\\', '%', '&', '+'), {
        minLength: 1,
        maxLength: 5,
      })
      .map((parts) => parts.join(''));
    const ors = (value: fc.Arbitrary<string>) =>
      fc.array(value, { minLength: 1, maxLength: 3 }).map((v) => v.join(','));
    const prefix = fc.constantFrom('', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap');
    const date = fc.constantFrom(
      '2020',
      '2020-05',
      '2020-05-01',
      '2020-05-01T10:00',
      '2020-05-01T10:00:00.5+02:00',
    );
    const token = fc.oneof(
      text,
      fc.tuple(text, text).map(([a, b]) => `${a}|${b}`),
      text.map((t) => `|${t}`),
      text.map((t) => `${t}|`),
    );
    const wellFormed = fc.oneof(
      fc.tuple(fc.constantFrom('name', 'name:exact', 'name:contains', 'link.name'), ors(text)),
      fc.tuple(
        fc.constantFrom('birthdate', '_lastUpdated'),
        ors(fc.tuple(prefix, date).map(([p, d]) => p + d)),
      ),
      fc.tuple(
        fc.constantFrom('gender', 'gender:not', 'identifier', '_tag', '_has:Observation:patient:code'),
        ors(token),
      ),
      fc.tuple(
        fc.constant('organization'),
        ors(fc.constantFrom('1', 'Organization/a-1', 'http://x.org/Organization/2')),
      ),
    );
    fc.assert(
      fc.property(fc.array(wellFormed, { minLength: 1, maxLength: 5 }), (pairs) => {
        const result = parseSearch('Patient', pairs, OPTIONS);
        if (!result.ok) assert.fail(JSON.stringify(result.issues));
        assert.equal(result.query.params.length, pairs.length);
        const url = renderSearchUrl(result.query, { version: 'r4', baseUrl: 'http://x' });
        const again = parseSearch('Patient', readQueryPairs(url.slice(url.indexOf('?'))), OPTIONS);
        assert.ok(again.ok, url);
        assert.deepStrictEqual(again.query, result.query);
      }),
      { numRuns: 3000 },
    );
  });
});
