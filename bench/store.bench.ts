/**
 * `npm run bench store`: the SQLite store (a WAL file) and the PostgreSQL store (a throwaway local
 * cluster, test/support/postgres.ts) side by side, in process, through the same `ResourceStore`
 * calls the services make, with R4 search indexing on: creates, reads and searches per second, with
 * `CONCURRENCY` calls in flight (PostgreSQL answers several at once; SQLite one at a time).
 * BENCH_STORE_PATIENTS (default 2000), BENCH_STORE_CONCURRENCY (default 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readPackageArchive } from '../src/definitions/package';
import { buildModel } from '../src/ir/index';
import { createVersionedSearchEngine } from '../src/runtime/search/adapters';
import { toSearchTable } from '../src/runtime/search/from-ir';
import { parseSearch, readQueryPairs } from '../src/runtime/search/parse';
import { createIndexRows, createSearchIndexer } from '../src/runtime/search/sql/indexer';
import type { SearchTables } from '../src/runtime/search/table';
import { PostgresStore } from '../src/runtime/store/postgres-store';
import { SqliteStore } from '../src/runtime/store/sqlite-store';
import type { ResourceStore } from '../src/runtime/store/types';
import { startPostgres } from '../test/support/postgres';
import { benchPatient, random } from './search-data';

const PATIENTS = Number(process.env.BENCH_STORE_PATIENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_STORE_CONCURRENCY ?? 8);
const BASE = 'http://localhost/r4';

/** Runs `count` calls of `work`, `CONCURRENCY` at a time; returns calls per second. */
async function rate(count: number, work: (i: number) => unknown): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function measure(name: string, store: ResourceStore, tables: SearchTables): Promise<string[]> {
  const patients = random(1);
  const ids: string[] = [];
  const creates = await rate(PATIENTS, async (i) => {
    ids[i] = (await store.create('Patient', benchPatient(i, patients))).id as string;
  });
  const reads = await rate(PATIENTS * 2, (i) => store.read('Patient', ids[i % PATIENTS] as string));
  const options = { version: 'r4' as const, tables, defaultCount: 10, maxCount: 100, lenient: false };
  const parsed = parseSearch('Patient', readQueryPairs('name=smith1&_count=10'), options);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const query = parsed.query;
  const searches = await rate(PATIENTS, () => store.search(query, { version: 'r4', baseUrl: BASE }));
  return [
    `${name.padEnd(12)} creates ${creates.toFixed(0).padStart(6)} /s   reads ${reads.toFixed(0).padStart(6)} /s   Patient?name=<prefix> ${searches.toFixed(0).padStart(6)} /s`,
  ];
}

async function main(): Promise<void> {
  const core = path.resolve(__dirname, '../../shared/fhir/hl7.fhir.r4.core-4.0.1.tgz');
  const model = buildModel([await readPackageArchive(core)], 'r4');
  const tables: SearchTables = Object.fromEntries(
    model.resources.filter((r) => !r.abstract).map((r) => [r.name, toSearchTable(r)]),
  );
  const versions = { r4: tables };
  const searchEngine = createVersionedSearchEngine(versions);
  const lines: string[] = [];

  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-store-'));
  const sqlite = new SqliteStore({
    location: path.join(dir, 'fhir.sqlite'),
    onWrite: createSearchIndexer({ versions }),
    searchEngine,
  });
  try {
    lines.push(...(await measure('SQLite', sqlite, tables)));
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const database = await startPostgres();
  const postgres = new PostgresStore({
    url: database.url,
    indexRows: createIndexRows({ versions }),
    searchEngine,
  });
  try {
    await postgres.open();
    lines.push(...(await measure('PostgreSQL', postgres, tables)));
  } finally {
    await postgres.close();
    await database.stop();
  }
  console.log(`${PATIENTS} Patients, ${CONCURRENCY} calls in flight, R4 search indexing on`);
  for (const line of lines) console.log(line);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
