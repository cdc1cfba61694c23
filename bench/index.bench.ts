/**
 * `npm run bench index`: what search indexing costs a write, in process, as a default project mounts
 * it: one SQLite store (a WAL file) indexed for DSTU2, STU3 and R4, the tables read from `generated/`.
 * Creates BENCH_INDEX_PATIENTS (default 300) rich Patients (test/runtime/fixtures/search/rich.ts) and
 * prints CPU per create and bytes on disk per Patient after a checkpoint, beside the same store without
 * an index (the floor) and the Patient's JSON with its history (the stored documents).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSearchIndexer } from '../src/runtime/search/sql/indexer';
import type { FhirVersion, SearchTables } from '../src/runtime/search/table';
import { SqliteStore, type StoreWriteHook } from '../src/runtime/store/sqlite-store';
import { richPatient } from '../test/runtime/fixtures/search/rich';

const PATIENTS = Number(process.env.BENCH_INDEX_PATIENTS ?? 300);
const VERSIONS: FhirVersion[] = ['dstu2', 'stu3', 'r4'];

function tables(version: FhirVersion): SearchTables {
  const file = path.resolve(__dirname, `../generated/${version}/server/search-parameters.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as SearchTables;
}

interface Figures {
  cpuUs: number;
  bytes: number;
  json: number;
}

function run(onWrite: StoreWriteHook | undefined): Figures {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-index-'));
  const store = new SqliteStore({ location: path.join(dir, 'fhir.sqlite'), ...(onWrite ? { onWrite } : {}) });
  try {
    // One write first, so that statements are prepared and the FHIRPath models loaded outside the count.
    store.create('Patient', richPatient());
    const started = process.cpuUsage();
    for (let i = 0; i < PATIENTS; i++) store.create('Patient', richPatient());
    const used = process.cpuUsage(started);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    const size = store.db.pragma('page_size', { simple: true }) as number;
    const json = store.db
      .prepare(
        'SELECT (SELECT SUM(length(json)) FROM resources) + (SELECT SUM(length(json)) FROM resource_history) AS n',
      )
      .get() as { n: number };
    return {
      cpuUs: (used.user + used.system) / PATIENTS,
      bytes: (pages * size) / (PATIENTS + 1),
      json: json.n / (PATIENTS + 1),
    };
  } finally {
    store.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const versions = Object.fromEntries(VERSIONS.map((version) => [version, tables(version)]));
  const floor = run(undefined);
  const r4 = run(createSearchIndexer({ versions: { r4: versions.r4 as SearchTables } }));
  const all = run(createSearchIndexer({ versions }));
  const line = (name: string, f: Figures) =>
    `${name.padEnd(28)} ${f.cpuUs.toFixed(0).padStart(7)} us CPU/create ${f.bytes.toFixed(0).padStart(8)} B/Patient  ${(f.bytes / f.json).toFixed(1).padStart(5)}x JSON+history`;
  const lines = [
    `${PATIENTS} rich Patients (${JSON.stringify(richPatient()).length} B of JSON each), SQLite WAL file`,
    line('no index (floor)', floor),
    line('indexed for r4', r4),
    line('indexed for dstu2+stu3+r4', all),
    `index CPU/create: ${(all.cpuUs - floor.cpuUs).toFixed(0)} us; index B/Patient: ${(all.bytes - floor.bytes).toFixed(0)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
