import assert from 'node:assert/strict';
import { createEvaluator } from '../../src/runtime/search/index/evaluate';
import { extractRows } from '../../src/runtime/search/index/extract';
import { parseSearch } from '../../src/runtime/search/parse';
import type { FhirVersion, SearchParamDef, SearchTables } from '../../src/runtime/search/table';
import { lookupTable } from '../../src/runtime/search/table';
import { versionExamples, versionTables } from './fixtures/search/corpus';
import { SEARCH_BACKENDS } from './fixtures/search/stores';

/**
 * The parameters the embedded store does not index, with why (the same reasons `toSearchTable`
 * gives): `_text` and `_content` it answers by reading the documents, the others it leaves to
 * services. Everything else of every resource of every version must parse and index.
 */
const NOT_INDEXED: Record<FhirVersion, Record<string, RegExp>> = {
  r4: {
    _text: /reads the narrative at search time/,
    _content: /reads the whole resource at search time/,
    _query: /operation/,
    _filter: /_filter/,
    near: /geographic/,
  },
  stu3: {
    _text: /reads the narrative at search time/,
    _content: /reads the whole resource at search time/,
    _query: /operation/,
    near: /geographic/,
  },
  dstu2: {
    _text: /reads the narrative at search time/,
    _content: /reads the whole resource at search time/,
    _query: /operation/,
    near: /geographic/,
    // Composites DSTU2 names without components or path, over parts that are not direct children.
    'CarePlan.related': /without components/,
    'Observation.related': /without components/,
    'DiagnosticOrder.event-status-date': /without components/,
    'DiagnosticOrder.item-status-date': /without components/,
    'DocumentReference.relationship': /without components/,
    'Group.characteristic-value': /without components/,
    // Names standing for one composite per choice; those are in the table under their own names.
    'code-value-[x]': /listed apart/,
    'component-code-value-[x]': /listed apart/,
  },
};

function sampleValue(def: SearchParamDef, tables: SearchTables): string {
  switch (def.type) {
    case 'number':
      return 'ge5';
    case 'date':
      return 'le2020-05-01T10:00:00Z';
    case 'quantity':
      return 'gt5.4|http://unitsofmeasure.org|mg';
    case 'token':
      return 'http://example.org|a\\,b';
    case 'reference': {
      const target = def.targets.find((type) => lookupTable(tables, type));
      return target ? `${target}/1` : '1';
    }
    case 'uri':
      return 'http://example.org/a';
    case 'composite':
      return def.components
        .map((component) => sampleValue({ ...def, ...component, targets: [], components: [] }, tables))
        .join('$');
    default:
      return 'x';
  }
}

for (const version of ['r4', 'stu3', 'dstu2'] as const) {
  describe(`every ${version} search parameter`, function () {
    this.timeout(120_000);
    let tables: SearchTables;
    before(async () => {
      tables = await versionTables(version);
    });

    it('is supported, or left out for a listed reason', () => {
      const unexpected: string[] = [];
      let count = 0;
      for (const table of Object.values(tables)) {
        for (const def of Object.values(table.params)) {
          count++;
          const reasons = NOT_INDEXED[version];
          const reason = reasons[`${table.resourceType}.${def.code}`] ?? reasons[def.code];
          if (def.unsupported === undefined && reason === undefined) continue;
          if (def.unsupported === undefined || !reason?.test(def.unsupported)) {
            unexpected.push(
              `${table.resourceType}.${def.code}: ${def.unsupported ?? 'supported, expected not'}`,
            );
          }
        }
      }
      assert.ok(count > 1000, `only ${count} parameters`);
      assert.deepEqual(unexpected, []);
    });

    it('parses a value of its type, and refuses special ones', () => {
      const failures: string[] = [];
      for (const table of Object.values(tables)) {
        for (const def of Object.values(table.params)) {
          const pairs: [string, string][] = [[def.code, sampleValue(def, tables)]];
          const result = parseSearch(table.resourceType, pairs, {
            version,
            tables,
            defaultCount: 10,
            maxCount: 100,
            lenient: false,
          });
          const shouldParse = def.type !== 'special';
          if (result.ok !== shouldParse)
            failures.push(`${table.resourceType}?${pairs[0]?.join('=')}: ${JSON.stringify(result)}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    it('has an expression that evaluates, with its components', () => {
      const evaluate = createEvaluator(version);
      const failures: string[] = [];
      for (const table of Object.values(tables)) {
        for (const def of Object.values(table.params)) {
          if (def.unsupported) continue;
          try {
            assert.ok(def.expression, 'no expression');
            evaluate({ resourceType: table.resourceType }, def.expression);
            for (const component of def.components) evaluate({}, component.expression, table.resourceType);
          } catch (error) {
            failures.push(`${table.resourceType}.${def.code} ${def.expression}: ${(error as Error).message}`);
          }
        }
      }
      assert.deepEqual(failures, []);
    });

    it('indexes every official example without a problem', async () => {
      const evaluate = createEvaluator(version);
      const examples = await versionExamples(version);
      const problems: string[] = [];
      const indexed = new Set<string>();
      let rows = 0;
      for (const resource of examples) {
        const table = lookupTable(tables, resource.resourceType);
        if (!table) continue;
        const extracted = extractRows(resource, table, evaluate);
        rows += extracted.rows.length;
        for (const row of extracted.rows)
          indexed.add(`${resource.resourceType}.${row.param.split(/[.:]/)[0]}`);
        problems.push(
          ...extracted.problems.map(
            (p) => `${resource.resourceType}/${resource.id} ${p.param}: ${p.message}`,
          ),
        );
      }
      assert.deepEqual(problems, []);
      // Every example contributes rows, and most parameters that examples exercise find values.
      assert.ok(rows > examples.length * 3, `${rows} rows for ${examples.length} examples`);
      assert.ok(indexed.size > 600, `only ${indexed.size} parameters found values`);
    });
  });
}

/** Types `_sort` accepts (search/sql/paging.ts). */
const SORTABLE = new Set(['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri']);

for (const version of ['r4', 'stu3', 'dstu2'] as const) {
  describe(`every ${version} search parameter, on each store`, function () {
    this.timeout(300_000);
    it('gives the same matches, totals and sort orders on SQLite and PostgreSQL', async () => {
      const tables = await versionTables(version);
      const examples = await versionExamples(version);
      const stores = await Promise.all(
        SEARCH_BACKENDS.map((backend) => backend.open({ [version]: tables }, examples)),
      );
      try {
        const differences: string[] = [];
        let nonEmpty = 0;
        let asked = 0;
        for (const table of Object.values(tables)) {
          for (const def of Object.values(table.params)) {
            if (def.unsupported !== undefined || def.type === 'special') continue;
            const texts = [
              `${def.code}:missing=false&_count=1000`,
              `${def.code}=${encodeURIComponent(sampleValue(def, tables))}`,
            ];
            // DSTU2 names the direction in a modifier (https://hl7.org/fhir/DSTU2/search.html#sort).
            const sort = version === 'dstu2' ? `_sort:desc=${def.code}` : `_sort=-${def.code}`;
            if (SORTABLE.has(def.type)) texts.push(`${sort}&_count=40`);
            for (const text of texts) {
              const pairs = [...new URLSearchParams(text)] as [string, string][];
              const parsed = parseSearch(table.resourceType, pairs, {
                version,
                tables,
                defaultCount: 1000,
                maxCount: 1000,
                lenient: false,
              });
              if (!parsed.ok) {
                differences.push(`${table.resourceType}?${text} does not parse`);
                continue;
              }
              asked++;
              const answers = await Promise.all(
                stores.map(async (store) => {
                  try {
                    const page = await store.search(parsed.query, { version, tables });
                    // _sort keeps the order; otherwise the order is the id's on both.
                    return JSON.stringify([page.total, page.matches.map((r) => `${r.resourceType}/${r.id}`)]);
                  } catch (error) {
                    return `error: ${(error as Error).message}`;
                  }
                }),
              );
              if (answers[0] !== answers[1])
                differences.push(`${table.resourceType}?${text}: ${answers.join(' <> ')}`.slice(0, 400));
              else if (!answers[0]?.startsWith('[0,')) nonEmpty++;
            }
          }
        }
        assert.deepEqual(differences, []);
        assert.ok(asked > 2000, `only ${asked} searches`);
        assert.ok(nonEmpty > 500, `only ${nonEmpty} searches found something`);
      } finally {
        for (const store of stores) await store.close();
      }
    });
  });
}

describe('DSTU2 parameters carry an expression derived from their xpath', () => {
  it('for every parameter that has an xpath', async function () {
    this.timeout(120_000);
    const tables = await versionTables('dstu2');
    const missing = Object.values(tables).flatMap((table) =>
      Object.values(table.params)
        .filter((def) => def.xpath !== undefined && def.expression === undefined)
        .map((def) => `${table.resourceType}.${def.code} ${def.xpath}`),
    );
    assert.deepEqual(missing, []);
    assert.equal(tables.Patient?.params.family?.expression, 'Patient.name.family');
    assert.equal(tables.Patient?.params.email?.expression, "Patient.telecom.where(system = 'email')");
    assert.deepEqual(
      tables.Observation?.params['code-value-quantity']?.components.map((c) => c.code),
      ['code', 'value-quantity'],
    );
  });
});
