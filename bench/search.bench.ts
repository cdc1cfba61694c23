/**
 * `npm run bench search`: the search module in process, without HTTP (figures, not assertions).
 * - indexing cost: Patients created per second into the embedded store, with and without the indexer;
 * - searches per second and p99 over 10,000 Patients and 20,000 Observations, 10 per page, each
 *   search parsed, run as SQL and turned into a searchset Bundle: `name=`, `birthdate=ge…&birthdate=le…`,
 *   and `Observation?subject=…&_include=Observation:subject`.
 * BENCH_PATIENTS (default 10000), BENCH_SEARCHES (default 2000 per query).
 */
import path from 'node:path';
import { readPackageArchive } from '../src/definitions/package';
import { buildModel } from '../src/ir/index';
import { buildSearchBundle } from '../src/runtime/search/bundle';
import { toSearchTable } from '../src/runtime/search/from-ir';
import { parseSearch, readQueryPairs } from '../src/runtime/search/parse';
import { searchStore } from '../src/runtime/search/sql/engine';
import { createSearchIndexer } from '../src/runtime/search/sql/indexer';
import type { SearchTables } from '../src/runtime/search/table';
import { SqliteStore } from '../src/runtime/store/sqlite-store';
import { benchObservation, benchPatient, FAMILIES, random } from './search-data';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 10_000);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 2000);
const BASE = 'http://localhost/r4';
/** Creates `count` Patients at once (committed together, store/group-commit.ts); creates per second. */
async function timeCreates(store: SqliteStore, count: number): Promise<number> {
  const next = random(1);
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: count }, (_, i) => store.create('Patient', benchPatient(i, next))));
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

function measure(label: string, run: (i: number) => unknown): void {
  const times: number[] = [];
  for (let i = 0; i < 50; i++) run(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < SEARCHES; i++) {
    const t0 = process.hrtime.bigint();
    run(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor(times.length * 0.5)] ?? 0;
  const p99 = times[Math.floor(times.length * 0.99)] ?? 0;
  console.log(
    `${label.padEnd(64)} ${(SEARCHES / seconds).toFixed(0).padStart(7)} /s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  const core = path.resolve(__dirname, '../../shared/fhir/hl7.fhir.r4.core-4.0.1.tgz');
  const model = buildModel([await readPackageArchive(core)], 'r4');
  const tables: SearchTables = Object.fromEntries(
    model.resources.filter((r) => !r.abstract).map((r) => [r.name, toSearchTable(r)]),
  );

  const plain = new SqliteStore({ location: ':memory:' });
  const withoutIndex = await timeCreates(plain, PATIENTS);
  plain.close();
  const store = new SqliteStore({
    location: ':memory:',
    onWrite: createSearchIndexer({ versions: { r4: tables } }),
  });
  const withIndex = await timeCreates(store, PATIENTS);
  console.log(`Patients created per second, no index        ${withoutIndex.toFixed(0)}`);
  console.log(`Patients created per second, search indexing ${withIndex.toFixed(0)}`);
  await Promise.all(
    Array.from({ length: PATIENTS * 2 }, (_, i) =>
      store.create('Observation', benchObservation(i, PATIENTS)),
    ),
  );

  const options = { version: 'r4' as const, tables, defaultCount: 10, maxCount: 100, lenient: false };
  const search = (type: string, query: string) => {
    const parsed = parseSearch(type, readQueryPairs(query), options);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const page = searchStore(store.db, parsed.query, { version: 'r4', tables, baseUrl: BASE });
    return JSON.stringify(buildSearchBundle(parsed.query, page, { version: 'r4', baseUrl: BASE }));
  };
  const firstTotal = JSON.parse(search('Patient', 'name=smith1&_count=10')).total;
  console.log(`(name=smith1 matches ${firstTotal} of ${PATIENTS})`);
  measure('Patient?name=<family prefix>&_count=10', (i) =>
    search('Patient', `name=${FAMILIES[i % 10]}${i % 100}&_count=10`),
  );
  measure('Patient?birthdate=ge1970-01-01&birthdate=le1975-12-31&_count=10', () =>
    search('Patient', 'birthdate=ge1970-01-01&birthdate=le1975-12-31&_count=10'),
  );
  measure('Observation?subject=Patient/<id>&_include=Observation:subject', (i) =>
    search('Observation', `subject=Patient/p${i % PATIENTS}&_include=Observation:subject`),
  );
  measure('Patient?gender=female&_sort=birthdate&_count=10', () =>
    search('Patient', 'gender=female&_sort=birthdate&_count=10'),
  );
  store.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
