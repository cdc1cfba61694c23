/**
 * Dates searched with bounds on both sides (`date=ge2020&date=le2021`, `eq`, `ap`) walk the index on
 * `low` between the bounds, narrow and wide rows apart (src/runtime/search/sql/date-span.ts). The
 * answers must stay those of https://hl7.org/fhir/R4/search.html#prefix whatever the widths stored:
 * instants, days, months, years, periods longer than a year, open-ended periods, and resources
 * with several values. The expectations are computed here from calendar arithmetic on the text.
 */
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { envelopeOfValues, intersectEnvelopes } from '../../src/runtime/search/sql/date-span';
import { searchStore } from '../../src/runtime/search/sql/engine';
import { createSearchIndexer } from '../../src/runtime/search/sql/indexer';
import type { SearchTables } from '../../src/runtime/search/table';
import type { DateValue } from '../../src/runtime/search/types';
import { SqliteStore } from '../../src/runtime/store/sqlite-store';
import { type ExampleResource, observation } from './fixtures/search/corpus';
import { type Prefix, rangeWanted, span } from './fixtures/search/date-oracle';
import { r4Query, SEARCH_BACKENDS, type SearchStore } from './fixtures/search/stores';
import { TABLES } from './fixtures/search/tables';

const OPEN_LOW = -8.64e15;
const OPEN_HIGH = 8.64e15;

/** `when` has a row per value: the effective date or period and the instant issued. */
const DATE_TABLES: SearchTables = {
  ...TABLES,
  Observation: {
    resourceType: 'Observation',
    params: {
      ...(TABLES.Observation?.params ?? {}),
      when: {
        code: 'when',
        type: 'date',
        expression: 'Observation.effective | Observation.issued',
        targets: [],
        modifiers: [],
        comparators: [],
        components: [],
        common: false,
      },
    },
  },
};

type Effective = string | [string | undefined, string | undefined];

/** Observations whose values are of every width, some of them with a second value. */
const OBSERVATIONS: { effective: Effective; issued?: string }[] = [
  { effective: '2020-06-15T10:00:00Z' },
  { effective: '2020-06-15' },
  { effective: '2020-06' },
  { effective: '2020' },
  { effective: '2019-12-31' },
  { effective: '2021-01-01' },
  { effective: '2016' },
  { effective: ['2020-02-01', '2020-02-29'] },
  // Longer than the widest narrow row: read through the wide rows.
  { effective: ['2018-01-01', '2019-12-31'] },
  { effective: ['2015-03-01', '2025-03-01'] },
  { effective: ['2020-05-01', undefined] },
  { effective: [undefined, '2020-07-01'] },
  { effective: [undefined, '2010-01-01'] },
  { effective: ['2030-01-01', undefined] },
  { effective: '2019', issued: '2020-06-15T10:00:00Z' },
  { effective: ['2010-01-01', '2012-01-01'], issued: '2021-01-01T00:00:00Z' },
  { effective: '2020-06-14', issued: '2020-06-16T00:00:00Z' },
  { effective: ['2020-06-01', undefined], issued: '2005-01-01T00:00:00Z' },
];

function rangesOf(observation: (typeof OBSERVATIONS)[number]): [number, number][] {
  const { effective, issued } = observation;
  const ranges: [number, number][] = [];
  if (typeof effective === 'string') ranges.push(span(effective));
  else {
    const [start, end] = effective;
    ranges.push([
      start === undefined ? OPEN_LOW : span(start)[0],
      end === undefined ? OPEN_HIGH : span(end)[1],
    ]);
  }
  if (issued !== undefined) ranges.push(span(issued));
  return ranges;
}

function resources(): ExampleResource[] {
  return OBSERVATIONS.map(({ effective, issued }, i) => {
    const resource = observation(`o${i}`);
    if (typeof effective === 'string') resource.effectiveDateTime = effective;
    else {
      const [start, end] = effective;
      resource.effectivePeriod = {
        ...(start === undefined ? {} : { start }),
        ...(end === undefined ? {} : { end }),
      };
    }
    if (issued !== undefined) resource.issued = issued;
    return resource;
  });
}

/** `[[prefix, value], ...]` per repetition, values ORed within one: the ids whose values meet each repetition. */
function expected(param: 'date' | 'when', repetitions: [Prefix, string][][]): string[] {
  return OBSERVATIONS.flatMap((observation, i) => {
    const ranges = param === 'date' ? rangesOf(observation).slice(0, 1) : rangesOf(observation);
    const matches = repetitions.every((ors) =>
      ranges.some((range) => ors.some(([prefix, value]) => rangeWanted(prefix, range, span(value)))),
    );
    return matches ? [`o${i}`] : [];
  }).sort();
}

function queryOf(param: string, repetitions: [Prefix, string][][]): string {
  return repetitions
    .map((ors) => `${param}=${ors.map(([prefix, value]) => `${prefix}${value}`).join(',')}`)
    .join('&');
}

const CASES: [Prefix, string][][][] = [
  [[['ge', '2020-01-01']], [['le', '2020-12-31']]],
  [[['ge', '2020-06']], [['le', '2020-06']]],
  [[['gt', '2019']], [['lt', '2021']]],
  [[['sa', '2019-06']], [['eb', '2020-07']]],
  [[['ge', '2015']], [['le', '2016']]],
  [[['eq', '2020']]],
  [[['eq', '2020-06-15']]],
  [[['ap', '2020-06-15']]],
  [[['ap', '2011']]],
  [
    [
      ['eq', '2020-06'],
      ['eq', '2016'],
    ],
  ],
  [
    [
      ['ge', '2020-06-15'],
      ['ge', '2010'],
    ],
    [['le', '2020-06-16']],
  ],
  [[['ge', '2005-01-01']], [['le', '2005-01-01']]],
  [[['ge', '2021']], [['le', '2019']]],
  [[['ne', '2020']], [['le', '2020-12-31']]],
];

for (const backend of SEARCH_BACKENDS) {
  describe(`search: dates bounded on both sides, rows of every width, on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: SearchStore;
    before(async () => {
      store = await backend.open({ r4: DATE_TABLES }, resources());
    });
    after(() => store?.close());

    async function found(query: string): Promise<{ ids: string[]; total: number | undefined }> {
      const typed = r4Query('Observation', `${query}&_count=5`, DATE_TABLES, 5);
      const ids: string[] = [];
      let page = await store.search(typed, { version: 'r4', tables: DATE_TABLES });
      const total = page.total;
      ids.push(...page.matches.map((r) => r.id));
      while (page.next !== undefined) {
        page = await store.search({ ...typed, cursor: page.next }, { version: 'r4', tables: DATE_TABLES });
        ids.push(...page.matches.map((r) => r.id));
      }
      return { ids: ids.sort(), total };
    }

    for (const param of ['date', 'when'] as const) {
      for (const repetitions of CASES) {
        const query = queryOf(param, repetitions);
        it(query, async () => {
          const want = expected(param, repetitions);
          assert.deepEqual(await found(query), { ids: want, total: want.length }, `${query} over every page`);
        });
      }
    }
  });
}

describe('search: the envelope of date conditions', () => {
  const value = (prefix: Prefix, text: string): DateValue => {
    const [low, high] = span(text);
    return { kind: 'date', raw: `${prefix}${text}`, prefix, low, high };
  };
  const [jan1, dec31] = span('2020');
  const table: { given: DateValue[]; want: { low?: number; high?: number } }[] = [
    { given: [value('eq', '2020')], want: { low: jan1, high: dec31 } },
    { given: [value('ap', '2020')], want: { low: jan1, high: dec31 } },
    { given: [value('ge', '2020')], want: { low: jan1 } },
    { given: [value('gt', '2020')], want: { low: dec31 } },
    { given: [value('sa', '2020')], want: { low: dec31 } },
    { given: [value('le', '2020')], want: { high: dec31 } },
    { given: [value('lt', '2020')], want: { high: jan1 } },
    { given: [value('eb', '2020')], want: { high: jan1 } },
    { given: [value('ne', '2020')], want: {} },
    // ORed values: the hull, unbounded on a side where one of them is.
    { given: [value('eq', '2020'), value('eq', '2016')], want: { low: span('2016')[0], high: dec31 } },
    { given: [value('eq', '2020'), value('ge', '2016')], want: { low: span('2016')[0] } },
    { given: [value('eq', '2020'), value('ne', '2016')], want: {} },
  ];
  for (const { given, want } of table) {
    it(given.map((v) => v.raw).join(','), () => {
      assert.deepEqual(envelopeOfValues(given), want, `envelope of ${given.map((v) => v.raw).join(',')}`);
    });
  }
  it('ANDed conditions keep the narrowest bounds', () => {
    assert.deepEqual(
      intersectEnvelopes([{ low: 1 }, { high: 9 }, { low: 3, high: 12 }, {}]),
      { low: 3, high: 9 },
      'the larger low and the smaller high',
    );
  });
});

describe('search: a date range bounded on both sides reads the index between its bounds (SQLite)', () => {
  let store: SqliteStore;
  before(async () => {
    store = new SqliteStore({
      location: ':memory:',
      onWrite: createSearchIndexer({ versions: { r4: TABLES } }),
    });
    for (let i = 0; i < 50; i++) {
      await store.create('Patient', { resourceType: 'Patient', id: `p${i}`, birthDate: `${1950 + i}-03-01` });
    }
  });
  after(() => store?.close());

  /** The statements a search runs, with their arguments, through a database that records them. */
  function statementsOf(query: string): { text: string; args: unknown[] }[] {
    const typed = r4Query('Patient', query, TABLES, 10);
    const seen: { text: string; args: unknown[] }[] = [];
    const db = store.db;
    const recording = new Proxy(db, {
      get(target, key) {
        if (key !== 'prepare') return Reflect.get(target, key, target);
        return (text: string) => {
          const statement = target.prepare(text);
          return {
            all: (...args: unknown[]) => {
              seen.push({ text, args });
              return statement.all(...args);
            },
          };
        };
      },
    }) as Database.Database;
    const page = searchStore(recording, typed, { version: 'r4', tables: TABLES });
    assert.deepEqual(
      page.matches.map((r) => r.id),
      ['p20', 'p21', 'p22', 'p23', 'p24', 'p25'],
      'born 1970 to 1975',
    );
    return seen;
  }

  it('ge and le on birthdate: the walk over low is bounded below and above', () => {
    const [first] = statementsOf('birthdate=ge1970-01-01&birthdate=le1975-12-31');
    assert.ok(first, 'the page query ran');
    const plan = store.db
      .prepare(`EXPLAIN QUERY PLAN ${first.text}`)
      .all(...first.args)
      .map((row) => (row as { detail: string }).detail);
    assert.ok(
      plan.some((detail) => /search_date_find \(.*low>\? AND low<\?\)/.test(detail)),
      `a range on low in ${JSON.stringify(plan)}`,
    );
  });
});

for (const backend of SEARCH_BACKENDS) {
  describe(`search: totals over a parameter with one row per resource, then two, on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: SearchStore;
    const single = Array.from({ length: 8 }, (_, i) =>
      observation(`s${i}`, { effectiveDateTime: `2020-0${1 + i}-10` }),
    );
    before(async () => {
      store = await backend.open({ r4: DATE_TABLES }, single);
    });
    after(() => store?.close());

    async function total(query: string): Promise<number | undefined> {
      const typed = r4Query('Observation', query, DATE_TABLES, 2);
      return (await store.search(typed, { version: 'r4', tables: DATE_TABLES })).total;
    }

    it('counts each resource once, before and after one gains a second matching value', async () => {
      const query = 'when=ge2020-01-01&when=le2020-12-31&_count=2';
      assert.equal(await total(query), 8, 'eight Observations of 2020, one value each');
      assert.equal(await total('when=ap2020-03-10'), 1, 'one Observation that day');
      await store.create(
        observation('twice', { effectiveDateTime: '2020-03-10', issued: '2020-03-10T12:00:00Z' }),
      );
      assert.equal(await total(query), 9, 'the Observation with two values of 2020 counts once');
      assert.equal(
        await total('when=ap2020-03-10&_count=1'),
        2,
        's2, and twice with both its values that day',
      );
    });

    it('counts the matches when the offset is past the last of them, or in the middle', async () => {
      const query = 'when=ge2020-01-01&when=le2020-12-31&_count=2';
      const matches = (await total(query)) as number;
      assert.equal(
        await total(`${query}&_offset=${matches + 5}`),
        matches,
        'a page past the end still has the total',
      );
      assert.equal(await total(`${query}&_offset=3`), matches, 'a page in the middle has the total');
    });
  });
}

for (const backend of SEARCH_BACKENDS) {
  describe(`search: dates bounded on both sides when every stored range is wide, on ${backend.name}`, function () {
    this.timeout(60_000);
    let store: SearchStore;
    // No range of a year or less: the narrow rows' widest width is NULL and only the wide rows answer.
    const periods: [string | undefined, string | undefined][] = [
      ['2015-01-01', '2019-12-31'],
      ['2019-06-01', undefined],
      [undefined, '2018-01-01'],
      ['2021-02-01', '2024-01-01'],
    ];
    before(async () => {
      const observations = periods.map(([start, end], i) =>
        observation(`w${i}`, {
          effectivePeriod: {
            ...(start === undefined ? {} : { start }),
            ...(end === undefined ? {} : { end }),
          },
        }),
      );
      store = await backend.open({ r4: DATE_TABLES }, observations);
    });
    after(() => store?.close());

    const cases: [Prefix, string][][][] = [
      [[['ge', '2019-01-01']], [['le', '2019-12-31']]],
      [[['ap', '2017']]],
      [[['eq', '2021']]],
      [[['ge', '2022']], [['le', '2023']]],
    ];
    for (const repetitions of cases) {
      const query = queryOf('date', repetitions);
      it(query, async () => {
        const typed = r4Query('Observation', query, DATE_TABLES, 10);
        const page = await store.search(typed, { version: 'r4', tables: DATE_TABLES });
        const want = periods
          .flatMap(([start, end], i) => {
            const range: [number, number] = [
              start === undefined ? OPEN_LOW : span(start)[0],
              end === undefined ? OPEN_HIGH : span(end)[1],
            ];
            const matches = repetitions.every((ors) =>
              ors.some(([prefix, value]) => rangeWanted(prefix, range, span(value))),
            );
            return matches ? [`w${i}`] : [];
          })
          .sort();
        assert.deepEqual(page.matches.map((r) => r.id).sort(), want, `${query} over wide ranges only`);
      });
    }
  });
}
