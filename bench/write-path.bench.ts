/**
 * `npm run bench write-path`: the write path's figures, side by side in one run, 50 connections,
 * rounds interleaved, medians printed:
 * - `fhirgen`: a generated project as `generate project` makes it by default (DSTU2, STU3 and R4
 *   mounted on one embedded SQLite store with its search index), security off, request logging on
 *   (LOG_LEVEL info), a fresh store each round;
 * - `fhirgen-r4`: the same project serving R4 alone (FHIR_VERSIONS=r4);
 * - `fhirgen-no-invariants`: the default project with invariant checks off (INVARIANTS=false);
 * - `node-fhir-server-core` 2.2.5 (when installed into bench/.cache, see server.bench.ts) and bare
 *   Express, both keeping Patients in a Map in memory (no durability, no index, no validation).
 * Loads: create of a 3.4 KB Patient (bench/rich-patient.ts), read by id, and `Patient?name=` with 10
 * matches among 1,000 seeded Patients. For each target: requests per second, p99, server CPU per
 * request (from /proc), and for fhirgen the bytes on disk per Patient after the round's creates
 * (store file after a clean stop, divided by the Patients it holds) against the Patient's stored JSON.
 * Figures, not assertions.
 *
 * BENCH_DURATION (seconds per load, default 10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50),
 * BENCH_TARGETS (comma-separated subset). The same file is the in-memory servers' process when
 * started with `--serve <target>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import {
  buildProject,
  installedProject,
  type StartedServer,
  startServer,
  tempDir,
} from '../test/support/project';
import { richPatient } from './rich-patient';

const CORE_DIR = path.join(__dirname, '.cache', 'node_modules', '@asymmetrik', 'node-fhir-server-core');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SEEDED = 1000;
const SEARCHED = 'Searchable';
const READ_ID = 'bench-read';
const CLOCK_TICKS = 100;

type Target = 'fhirgen' | 'fhirgen-r4' | 'fhirgen-no-invariants' | 'express' | 'node-fhir-server-core';
type Load = 'create' | 'read' | 'search';

/** The 1,000 seeded Patients: 10 of them named `Searchable`, the others 100 other family names. */
function seededPatient(i: number): Record<string, unknown> {
  const patient = richPatient(i);
  if (i % 100 === 0) patient.name = [{ family: SEARCHED, given: [`Seeded${i}`] }];
  return { ...patient, id: `seed-${i}` };
}

interface Running {
  base: string;
  pid: number;
  stop(): Promise<void>;
  /** The store folder of a fhirgen target. */
  dataDir?: string;
}

async function startFhirgen(dir: string, target: Target): Promise<Running> {
  const dataDir = tempDir('fhirgen-write-bench-');
  const env = {
    SECURITY: 'off',
    TRANSPORT: 'http',
    LOG_LEVEL: 'info',
    STORE: 'sqlite',
    STORE_PATH: path.join(dataDir, 'fhir.sqlite'),
    ...(target === 'fhirgen-r4' ? { FHIR_VERSIONS: 'r4' } : {}),
    ...(target === 'fhirgen-no-invariants' ? { INVARIANTS: 'false' } : {}),
  };
  const server: StartedServer = await startServer(dir, env);
  const base = `${server.url}/r4`;
  await seedOverHttp(base);
  return {
    base,
    pid: server.child.pid as number,
    dataDir,
    stop: async () => {
      await server.stop('SIGTERM');
    },
  };
}

/** Seeds in Bundles of 200 entries, each under the default 1 MB body limit. */
async function seedOverHttp(base: string): Promise<void> {
  const resources = Array.from({ length: SEEDED }, (_, i) => seededPatient(i));
  resources.push({ ...richPatient(), id: READ_ID });
  for (let start = 0; start < resources.length; start += 200) {
    const entry = resources.slice(start, start + 200).map((resource) => ({
      resource,
      request: { method: 'PUT', url: `Patient/${resource.id}` },
    }));
    const answer = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
    });
    if (answer.status !== 200)
      throw new Error(`seeding: ${answer.status} ${(await answer.text()).slice(0, 500)}`);
  }
}

async function startInMemory(target: Target): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', target], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (chunk) => resolve(Number(String(chunk).trim())));
    child.once('exit', (code) => reject(new Error(`${target} exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}${target === 'node-fhir-server-core' ? '/4_0_1' : '/r4'}`;
  return { base, pid: child.pid as number, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Patients in memory, as node-fhir-server-core's examples keep them: a Map, and a family-name lookup. */
class PatientMap {
  private readonly byId = new Map<string, Record<string, unknown>>();
  private readonly byFamily = new Map<string, Record<string, unknown>[]>();
  private next = 0;

  constructor() {
    for (let i = 0; i < SEEDED; i++) this.put(seededPatient(i));
    this.put({ ...richPatient(), id: READ_ID });
  }

  put(resource: Record<string, unknown>): Record<string, unknown> {
    this.next += 1;
    const stored: Record<string, unknown> & { id: string } = {
      ...resource,
      id: (resource.id as string | undefined) ?? `p${this.next}`,
      meta: { versionId: '1', lastUpdated: new Date().toISOString() },
    };
    this.byId.set(stored.id, stored);
    for (const name of (stored.name as { family?: string }[] | undefined) ?? []) {
      const family = name.family?.toLowerCase() ?? '';
      this.byFamily.set(family, [...(this.byFamily.get(family) ?? []), stored]);
    }
    return stored;
  }

  read(id: string) {
    return this.byId.get(id);
  }

  search(name: string) {
    return (this.byFamily.get(name.toLowerCase()) ?? []).slice(0, 10);
  }
}

function serveInMemory(target: Target): void {
  const patients = new PatientMap();
  let listen: (port: number) => import('node:http').Server;
  if (target === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.get('/r4/Patient/:id', (req, res) => {
      const found = patients.read(req.params.id);
      if (found) res.json(found);
      else res.status(404).end();
    });
    app.get('/r4/Patient', (req, res) => {
      const match = patients.search(String(req.query.name ?? ''));
      res.json({ resourceType: 'Bundle', type: 'searchset', entry: match.map((resource) => ({ resource })) });
    });
    app.post(
      '/r4/Patient',
      express.json({ type: ['application/json', 'application/fhir+json'] }),
      (req, res) => {
        res.status(201).json(patients.put(req.body));
      },
    );
    listen = (port) => app.listen(port, '127.0.0.1');
  } else {
    const { initialize, loggers, constants } = require(CORE_DIR);
    loggers.initialize({ level: 'error' });
    const service = {
      searchById: async (args: { id: string }) => patients.read(args.id),
      search: async (args: { name?: string }) => patients.search(String(args.name ?? '')),
      create: async (_args: unknown, context: { req: { body: Record<string, unknown> } }) => ({
        id: patients.put(context.req.body).id,
      }),
    };
    const server = initialize({
      profiles: { patient: { service, versions: [constants.VERSIONS['4_0_1']] } },
      server: { port: 0 },
    });
    listen = (port) => server.app.listen(port, '127.0.0.1');
  }
  process.on('SIGTERM', () => process.exit(0));
  const server = listen(0);
  server.once('listening', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

/** User plus system CPU time of a process, in microseconds, from /proc (Linux). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

interface Figures {
  rps: number;
  p99: number;
  cpu: number;
  bad: number;
}

async function load(running: Running, kind: Load): Promise<Figures> {
  const body = JSON.stringify(richPatient(7));
  const request: autocannon.Options =
    kind === 'create'
      ? {
          url: `${running.base}/Patient`,
          method: 'POST',
          headers: { 'content-type': 'application/fhir+json' },
          body,
        }
      : {
          url:
            kind === 'read'
              ? `${running.base}/Patient/${READ_ID}`
              : `${running.base}/Patient?name=${SEARCHED}`,
        };
  const before = cpuMicros(running.pid);
  const result = await autocannon({ ...request, connections: CONNECTIONS, duration: DURATION });
  const cpu = (cpuMicros(running.pid) - before) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p99: result.latency.p99, cpu, bad: result.non2xx + result.errors };
}

/** Bytes of the store's files (database, WAL) after a clean stop, and the Patients they hold. */
function diskFigures(dataDir: string): { bytes: number; patients: number } {
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  let bytes = 0;
  for (const file of readdirSync(dataDir)) {
    if (file.startsWith('fhir.sqlite')) bytes += statSync(path.join(dataDir, file)).size;
  }
  const db = new Database(path.join(dataDir, 'fhir.sqlite'), { readonly: true });
  try {
    const row = db
      .prepare("SELECT COUNT(*) AS patients FROM resources WHERE resource_type = 'Patient'")
      .get() as { patients: number };
    return { bytes, patients: row.patients };
  } finally {
    db.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  const all: Target[] = ['fhirgen', 'fhirgen-r4', 'fhirgen-no-invariants', 'express'];
  if (existsSync(CORE_DIR)) all.push('node-fhir-server-core');
  else process.stdout.write('(node-fhir-server-core not installed in bench/.cache; skipped)\n');
  const wanted = process.env.BENCH_TARGETS?.split(',');
  const targets = wanted === undefined ? all : all.filter((target) => wanted.includes(target));
  process.stdout.write('generating and installing a default project (DSTU2, STU3, R4) ...\n');
  const project = await installedProject(['--name', 'write-bench']);
  await buildProject(project.dir);
  const storedJson = await storedPatientBytes(project.dir);
  process.stdout.write(
    `Patient body ${JSON.stringify(richPatient(7)).length} bytes (${storedJson} stored with id and meta), ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} rounds\n`,
  );
  const results = new Map<string, Figures[]>();
  const disk = new Map<Target, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const fhirgen = target.startsWith('fhirgen');
      const running = fhirgen ? await startFhirgen(project.dir, target) : await startInMemory(target);
      try {
        for (const kind of ['read', 'search', 'create'] as Load[]) {
          const key = `${kind} ${target}`;
          results.set(key, [...(results.get(key) ?? []), await load(running, kind)]);
        }
      } finally {
        await running.stop();
      }
      if (running.dataDir) {
        const { bytes, patients } = diskFigures(running.dataDir);
        disk.set(target, [...(disk.get(target) ?? []), bytes / patients]);
      }
    }
  }
  report(results, targets);
  for (const [target, perPatient] of disk) {
    const bytes = median(perPatient);
    process.stdout.write(
      `disk    ${target.padEnd(22)} ${(bytes / 1024).toFixed(1)} KB per Patient (store file with index and history), ${(bytes / storedJson).toFixed(1)}x its ${storedJson}-byte JSON\n`,
    );
  }
}

/** The length of the JSON a create stores for the bench Patient (with `id` and `meta`), from the create's answer. */
async function storedPatientBytes(dir: string): Promise<number> {
  const dataDir = tempDir('fhirgen-write-bench-');
  const server = await startServer(dir, {
    SECURITY: 'off',
    TRANSPORT: 'http',
    STORE_PATH: path.join(dataDir, 'f.sqlite'),
  });
  try {
    const answer = await fetch(`${server.url}/r4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=representation' },
      body: JSON.stringify(richPatient(7)),
    });
    return Buffer.byteLength(await answer.text());
  } finally {
    await server.stop('SIGTERM');
  }
}

function report(results: Map<string, Figures[]>, targets: Target[]): void {
  for (const kind of ['create', 'read', 'search'] as Load[]) {
    const rpsOf = (target: Target) => median((results.get(`${kind} ${target}`) ?? []).map((f) => f.rps));
    const core = targets.includes('node-fhir-server-core') ? rpsOf('node-fhir-server-core') : 0;
    const express = targets.includes('express') ? rpsOf('express') : 0;
    for (const target of targets) {
      const runs = results.get(`${kind} ${target}`) ?? [];
      const rps = rpsOf(target);
      const ratios = [
        core > 0 ? `${(rps / core).toFixed(2)}x core` : '',
        express > 0 ? `${(rps / express).toFixed(2)}x express` : '',
      ].join('  ');
      const bad = runs.reduce((sum, f) => sum + f.bad, 0);
      process.stdout.write(
        `${kind.padEnd(7)} ${target.padEnd(22)} ${rps.toFixed(0).padStart(6)} req/s  p99 ${String(median(runs.map((f) => f.p99))).padStart(5)} ms  cpu ${median(
          runs.map((f) => f.cpu),
        )
          .toFixed(0)
          .padStart(5)} us/req  ${ratios}  non-2xx/errors ${bad}\n`,
      );
    }
  }
}

if (process.argv[2] === '--serve') {
  serveInMemory(process.argv[3] as Target);
} else {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
