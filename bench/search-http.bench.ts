/**
 * `npm run bench search-http`: search over HTTP, the figures issue 6 asks for. Requests per second
 * and p99, 50 connections, autocannon in its own process, each server in its own process:
 * - `fhirgen`: the runtime server with the generated R4 binding and the search module wired as in a
 *   generated project (parser, indexer, engine over the embedded SQLite store), 10,000 Patients and
 *   20,000 Observations: `Patient?name=…`, `Patient?birthdate=ge…&birthdate=le…` (10 per page) and
 *   `Observation?subject=…&_include=Observation:subject`;
 * - `node-fhir-server-core` 2.2.5 (when installed into bench/.cache, see ANCHORS.md and
 *   server.bench.ts) answering `Patient?name=…` with 10 Patients from memory, no search done;
 * - `fhirgen-memory`: the same runtime answering `Patient?name=…` with those 10 Patients from
 *   memory: no search, so the most any search engine behind this runtime could reach;
 * - indexing cost over HTTP: POST of a Patient with the search index on (`fhirgen`) and off
 *   (`fhirgen-noindex`, the store without the search module).
 * Rounds are interleaved; medians are printed. Figures, not assertions.
 *
 * BENCH_DURATION (seconds per run, default 10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50),
 * BENCH_PATIENTS (10000), BENCH_CACHE_MB (the servers' SQLite page cache; default SQLite's 2 MB). The same file is the server process when started with `--serve <target>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { wireSearch } from '../src/runtime/app/search';
import type { VersionModule } from '../src/runtime/app/types';
import { loadConfig } from '../src/runtime/config';
import { buildServer } from '../src/runtime/server';
import { SqliteStore } from '../src/runtime/store/sqlite-store';
import { storeServices } from '../src/runtime/store/store-service';
import { generatedBinding } from '../test/runtime/fixtures/generated';
import { benchObservation, benchPatient, random } from './search-data';

const ROOT = path.resolve(__dirname, '..');
const CORE_DIR = path.join(__dirname, '.cache', 'node_modules', '@asymmetrik', 'node-fhir-server-core');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 10_000);
const TABLES_FILE = path.join(ROOT, 'generated', 'r4', 'server', 'search-parameters.json');

type Target = 'fhirgen' | 'fhirgen-noindex' | 'fhirgen-memory' | 'node-fhir-server-core';

function r4Module(): VersionModule {
  return {
    binding: generatedBinding('r4'),
    basePath: '/r4',
    searchTables: JSON.parse(readFileSync(TABLES_FILE, 'utf8')),
    createServices: ({ store }) => storeServices(store, ['Patient', 'Observation']),
  };
}

/** Writes the data set into `file` once, indexed, so that every server process opens the same store. */
async function seed(file: string): Promise<void> {
  const search = wireSearch([r4Module()], { defaultCount: 10, maxCount: 100 });
  const store = new SqliteStore({ location: file });
  const next = random(1);
  store.db.exec('BEGIN');
  for (let i = 0; i < PATIENTS; i++) store.create('Patient', benchPatient(i, next));
  for (let i = 0; i < PATIENTS * 2; i++) store.create('Observation', benchObservation(i, PATIENTS));
  store.db.exec('COMMIT');
  const started = process.hrtime.bigint();
  const indexed = await search.reindexIfStale(store);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    `seeded ${indexed} resources; indexing them took ${seconds.toFixed(1)} s (${(indexed / seconds).toFixed(0)} resources/s)\n`,
  );
  store.close();
}

async function serve(target: Target, file: string): Promise<void> {
  let listen: (port: number) => import('node:http').Server;
  if (target === 'node-fhir-server-core') {
    listen = nodeFhirServerCore();
  } else {
    const env = { PORT: '0', STORE_PATH: file, LOG_LEVEL: 'warn' };
    const config = loadConfig({ env, available: { r4: '/r4' } });
    const version = r4Module();
    const search = wireSearch([version], { defaultCount: 10, maxCount: 100 });
    const services = (store: import('../src/runtime/store/types').ResourceStore) =>
      target === 'fhirgen-memory' ? tenFromMemory(store) : version.createServices({ store });
    const { app, store } = buildServer({
      config,
      versions: {
        r4: {
          binding: version.binding,
          services,
          ...(target === 'fhirgen-noindex' ? {} : { searchParser: search.parser }),
        },
      },
      ...(target === 'fhirgen' ? { store: search.store } : {}),
      logger: pino({ level: 'warn' }, pino.destination({ dest: '/dev/null', sync: false })),
    });
    if (target === 'fhirgen') await search.reindexIfStale(store);
    // An experiment: SQLite's page cache (default 2 MB) against the ~30 MB this data set indexes.
    if (process.env.BENCH_CACHE_MB)
      (store as SqliteStore).db.pragma(`cache_size = -${Number(process.env.BENCH_CACHE_MB) * 1024}`);
    listen = (port) => app.listen(port, '127.0.0.1');
  }
  process.on('SIGTERM', () => process.exit(0));
  const server = listen(0);
  server.once('listening', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

/**
 * The ceiling of the `fhirgen` figures: the same runtime (search parser, casting, Bundle, Express)
 * with a Patient search that returns 10 Patients held in memory, as node-fhir-server-core's does, so
 * no search is done.
 */
function tenFromMemory(store: import('../src/runtime/store/types').ResourceStore) {
  const next = random(1);
  const ten = Array.from({ length: 10 }, (_, i) => benchPatient(i, next));
  const services = storeServices(store, ['Patient', 'Observation']);
  return { ...services, Patient: { ...services.Patient, search: () => ({ match: ten, total: 10 }) } };
}

/** node-fhir-server-core 2.2.5 whose search service returns 10 Patients held in memory. */
function nodeFhirServerCore() {
  const { initialize, loggers, constants } = require(CORE_DIR);
  loggers.initialize({ level: 'error' });
  const next = random(1);
  const ten = Array.from({ length: 10 }, (_, i) => benchPatient(i, next));
  const service = { search: async () => ten, searchById: async () => ten[0] };
  const server = initialize({
    profiles: { patient: { service, versions: [constants.VERSIONS['4_0_1']] } },
    server: { port: 0 },
  });
  return (port: number) => server.app.listen(port, '127.0.0.1') as import('node:http').Server;
}

interface Figures {
  rps: number;
  p99: number;
  bad: number;
}

async function startTarget(target: Target, file: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', target, file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    child.once('exit', (code) => reject(new Error(`${target} server exited with ${code}`)));
  });
  return { child, port };
}

function autocannon(url: string, args: string[] = []): Promise<Figures> {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'autocannon');
  const child = spawn(bin, ['-c', String(CONNECTIONS), '-d', String(DURATION), '-j', ...args, url], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('exit', () => {
      try {
        const result = JSON.parse(out);
        resolve({
          rps: result.requests.average,
          p99: result.latency.p99,
          bad: result.non2xx + result.errors,
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** What each target runs: label → path and query below the version's base. */
const SCENARIOS: Record<Target, Record<string, string>> = {
  fhirgen: {
    'Patient?name=smith1&_count=10': '/Patient?name=smith1&_count=10',
    'Patient?birthdate=ge1970&birthdate=le1975 (10/page)':
      '/Patient?birthdate=ge1970-01-01&birthdate=le1975-12-31&_count=10',
    'Observation?subject=Patient/p42&_include=Observation:subject':
      '/Observation?subject=Patient/p42&_include=Observation:subject',
  },
  'node-fhir-server-core': { 'Patient?name=smith1 (10 from memory)': '/Patient?name=smith1' },
  'fhirgen-memory': { 'Patient?name=smith1 (10 from memory)': '/Patient?name=smith1' },
  'fhirgen-noindex': {},
};

async function main(): Promise<void> {
  const targets: Target[] = ['fhirgen', 'fhirgen-noindex', 'fhirgen-memory'];
  if (existsSync(CORE_DIR)) targets.push('node-fhir-server-core');
  else process.stdout.write('(node-fhir-server-core not installed in bench/.cache; skipped)\n');
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-search-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'fhir.sqlite');
  await seed(file);
  process.stdout.write(`${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} rounds\n`);
  const body = JSON.stringify({ ...benchPatient(0, random(2)), id: undefined });
  const create = ['-m', 'POST', '-H', 'content-type=application/fhir+json', '-b', body];
  const results = new Map<string, Figures[]>();
  const record = (key: string, figures: Figures) => results.set(key, [...(results.get(key) ?? []), figures]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const { child, port } = await startTarget(target, file);
      const base = `http://127.0.0.1:${port}${target === 'node-fhir-server-core' ? '/4_0_1' : '/r4'}`;
      try {
        for (const [label, url] of Object.entries(SCENARIOS[target]))
          record(`search ${target.padEnd(22)} ${label}`, await autocannon(`${base}${url}`));
        // Creates last: they add Patients, which the next round's searches then see too.
        if (target === 'fhirgen' || target === 'fhirgen-noindex')
          record(`create ${target.padEnd(22)} POST /Patient`, await autocannon(`${base}/Patient`, create));
      } finally {
        child.kill('SIGTERM');
      }
    }
  }
  const core = results.get(
    `search ${'node-fhir-server-core'.padEnd(22)} Patient?name=smith1 (10 from memory)`,
  );
  const coreRps = core ? median(core.map((figures) => figures.rps)) : 0;
  for (const [key, runs] of results) {
    const rps = median(runs.map((figures) => figures.rps));
    const p99 = median(runs.map((figures) => figures.p99));
    const bad = runs.reduce((sum, figures) => sum + figures.bad, 0);
    const versus =
      coreRps > 0 && key.startsWith('search fhirgen') ? `  ${(rps / coreRps).toFixed(2)}x core` : '';
    process.stdout.write(
      `${key.padEnd(100)} ${rps.toFixed(0).padStart(6)} req/s  p99 ${String(p99).padStart(5)} ms  non-2xx/errors ${bad}${versus}\n`,
    );
  }
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] as Target, process.argv[4] as string).catch((error) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
