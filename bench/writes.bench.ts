/**
 * `npm run bench writes`: concurrent creates and updates of a rich R4 Patient (~3.4 KB) through
 * `storeServices`, in process, on the SQLite store (a WAL file) and the PostgreSQL store (a
 * throwaway local cluster), without and with R4 search indexing: writes per second, CPU per write, the
 * size of the commit batches, and the bytes on disk per Patient once it has a second version.
 * BENCH_WRITES_PATIENTS (default 500), BENCH_WRITES_CONCURRENCY (default 50), BENCH_WRITES_PG=0 skips PostgreSQL.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readPackageArchive } from '../src/definitions/package';
import { buildModel } from '../src/ir/index';
import type { ResourceJson } from '../src/runtime/binding';
import type { ServiceContext } from '../src/runtime/contracts';
import { toSearchTable } from '../src/runtime/search/from-ir';
import { createIndexRows, createSearchIndexer } from '../src/runtime/search/sql/indexer';
import type { SearchTables } from '../src/runtime/search/table';
import { PostgresStore } from '../src/runtime/store/postgres-store';
import { SqliteStore } from '../src/runtime/store/sqlite-store';
import { storeServices } from '../src/runtime/store/store-service';
import type { ResourceStore } from '../src/runtime/store/types';
import { startPostgres } from '../test/support/postgres';
import { richPatient as richJson } from './rich-patient';

const richPatient = (i: number) => richJson(i) as ResourceJson;

const PATIENTS = Number(process.env.BENCH_WRITES_PATIENTS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_WRITES_CONCURRENCY ?? 50);
const CTX: ServiceContext = { requestId: 'bench', baseUrl: 'http://localhost/r4', version: 'r4' };

/** Runs `count` calls of `work`, `CONCURRENCY` in flight; calls per second and CPU microseconds per call. */
async function run(count: number, work: (i: number) => unknown) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rate: count / seconds, cpuUs: (used.user + used.system) / count };
}

/** Batches committed so far, where the store counts them (`commits`). */
function batches(store: ResourceStore): { batches: number; writes: number } | undefined {
  return (store as { commits?: { batches: number; writes: number } }).commits;
}

/** Bytes on disk: the store's own tables (resources, history and their keys) and, for SQLite, the whole file. */
interface Bytes {
  store: number;
  file?: number;
}

async function measure(name: string, store: ResourceStore, bytes: () => Promise<Bytes>): Promise<string> {
  const service = storeServices(store, ['Patient']).Patient;
  if (service?.create === undefined || service.update === undefined) throw new Error('no service');
  const { create, update } = service;
  const ids: string[] = [];
  const before = { ...batches(store) };
  const creates = await run(PATIENTS, async (i) => {
    ids[i] = ((await create(richPatient(i), CTX)) as ResourceJson).id as string;
  });
  const updates = await run(PATIENTS, (i) =>
    update(ids[i] as string, { ...richPatient(i), id: ids[i], active: false }, CTX, { allowCreate: false }),
  );
  const after = batches(store);
  const batchSize =
    after === undefined ? 1 : (after.writes - (before.writes ?? 0)) / (after.batches - (before.batches ?? 0));
  const json = JSON.stringify(richPatient(0)).length;
  const size = await bytes();
  const ratio = (total: number) =>
    `${(total / PATIENTS / 1024).toFixed(1)} KB (${(total / PATIENTS / (2 * json)).toFixed(2)}x)`;
  return [
    name.padEnd(11),
    `create ${creates.rate.toFixed(0).padStart(5)}/s ${creates.cpuUs.toFixed(0).padStart(5)} us CPU`,
    `update ${updates.rate.toFixed(0).padStart(5)}/s ${updates.cpuUs.toFixed(0).padStart(5)} us CPU`,
    `writes/commit ${batchSize.toFixed(1).padStart(5)}`,
    `per Patient: store tables ${ratio(size.store)}${size.file === undefined ? '' : `, file ${ratio(size.file)}`}`,
  ].join('   ');
}

async function main(): Promise<void> {
  const core = path.resolve(__dirname, '../../shared/fhir/hl7.fhir.r4.core-4.0.1.tgz');
  const model = buildModel([await readPackageArchive(core)], 'r4');
  const tables: SearchTables = Object.fromEntries(
    model.resources.filter((r) => !r.abstract).map((r) => [r.name, toSearchTable(r)]),
  );
  const versions = { r4: tables };
  const lines: string[] = [];
  for (const indexed of [false, true]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-writes-'));
    const sqlite = new SqliteStore({
      location: path.join(dir, 'fhir.sqlite'),
      ...(indexed ? { onWrite: createSearchIndexer({ versions }) } : {}),
    });
    try {
      lines.push(
        await measure(indexed ? 'SQLite+R4' : 'SQLite', sqlite, async () => {
          sqlite.db.pragma('wal_checkpoint(TRUNCATE)');
          const tables = sqlite.db
            .prepare(
              `SELECT sum(pgsize) AS size FROM dbstat WHERE name IN
               (SELECT name FROM sqlite_schema WHERE tbl_name IN ('resources', 'resource_history'))`,
            )
            .get() as { size: number };
          const file = readdirSync(dir).reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
          return { store: tables.size, file };
        }),
      );
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (process.env.BENCH_WRITES_PG !== '0') {
    const database = await startPostgres();
    const postgres = new PostgresStore({ url: database.url, indexRows: createIndexRows({ versions }) });
    try {
      await postgres.open();
      lines.push(
        await measure('Postgres+R4', postgres, async () => {
          await postgres.pool.query('VACUUM resources, resource_history');
          const { rows } = await postgres.pool.query(
            "SELECT pg_total_relation_size('resources') + pg_total_relation_size('resource_history') AS size",
          );
          return { store: Number(rows[0]?.size) };
        }),
      );
    } finally {
      await postgres.close();
      await database.stop();
    }
  }
  const json = JSON.stringify(richPatient(0)).length;
  console.log(
    `${PATIENTS} Patients of ${json} bytes, ${CONCURRENCY} writes in flight; +R4: R4 search indexing on`,
  );
  console.log("(bytes per Patient with its 2 versions, and as a multiple of the 2 versions' JSON)");
  for (const line of lines) console.log(line);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
