/**
 * `npm run bench server`: requests per second and p99 latency of the runtime's FHIR server against a
 * bare Express route serving the same JSON (and node-fhir-server-core 2.2.5 when it was installed
 * into bench/.cache, see ANCHORS.md), for read by id and create of a 3.4 KB Patient
 * (bench/rich-patient.ts), 50 connections.
 * Each server runs in its own process and autocannon in another; rounds are interleaved and the
 * median of each is printed. Figures, not assertions.
 *
 * BENCH_DURATION (seconds per run, default 10), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (50),
 * BENCH_TARGETS (comma-separated subset of the targets below), BENCH_LOG (the fhirgen servers' log
 * level, default `info`: one line per request, as a generated project logs, written to /dev/null
 * through the same asynchronous destination; `warn` leaves request logging out).
 * The same file is the server process when started as `server.bench.ts --serve <target>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import pino from 'pino';
import type { ResourceJson } from '../src/runtime/binding';
import { loadConfig } from '../src/runtime/config';
import { buildServer } from '../src/runtime/server';
import type { ResourceService } from '../src/runtime/service';
import { storeServices } from '../src/runtime/store/store-service';
import type { ResourceStore } from '../src/runtime/store/types';
import { r4Binding } from '../test/runtime/fixtures/binding';
import { generatedBinding } from '../test/runtime/fixtures/generated';
import { richPatient } from './rich-patient';

const ROOT = path.resolve(__dirname, '..');
const CORE_DIR = path.join(__dirname, '.cache', 'node_modules', '@asymmetrik', 'node-fhir-server-core');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PATIENT_ID = 'bench-patient';
const LOG_LEVEL = process.env.BENCH_LOG ?? 'info';

/** The rich Patient of the write benches (about 3.4 KB). */
const benchPatient = () => richPatient() as ResourceJson;

/**
 * `fhirgen`: the runtime with its default embedded store (SQLite file, WAL) in a temporary folder.
 * `fhirgen-map`: the same runtime over a service keeping resources in a Map, which is what the other
 * two do, so that the runtime's own cost shows apart from the store's.
 */
/**
 * The real R4 binding (generated classes and schemas) unless BENCH_BINDING=fixture asks for the small
 * hand-written one of the tests.
 */
function benchBinding() {
  const binding = process.env.BENCH_BINDING === 'fixture' ? r4Binding : generatedBinding('r4');
  process.stderr.write(`(${process.env.BENCH_BINDING === 'fixture' ? 'fixture' : 'generated'} R4 binding)\n`);
  return binding;
}

type Target = 'fhirgen' | 'fhirgen-map' | 'express' | 'node-fhir-server-core';

/** A service holding resources in memory, as node-fhir-server-core's examples do. */
function mapService(): ResourceService {
  const resources = new Map<string, ResourceJson>();
  let next = 0;
  return {
    read: (id) => resources.get(id),
    create: (resource) => {
      next += 1;
      const id = resource.id ?? `p${next}`;
      const stored = { ...resource, id, meta: { versionId: '1', lastUpdated: new Date().toISOString() } };
      resources.set(id, stored);
      return stored;
    },
    update: (id, resource) => {
      resources.set(id, resource);
      return resource;
    },
  };
}

/** Runs one server in this process and prints its port on stdout. */
async function serve(target: Target): Promise<void> {
  const patient = {
    ...benchPatient(),
    id: PATIENT_ID,
    meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00.000Z' },
  };
  let listen: (port: number) => import('node:http').Server;
  if (target === 'fhirgen' || target === 'fhirgen-map') {
    const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const env = { PORT: '0', STORE_PATH: path.join(dir, 'fhir.sqlite'), LOG_LEVEL };
    const config = loadConfig({ env, available: { r4: '/r4' } });
    const map = mapService();
    map.update?.(PATIENT_ID, patient, { requestId: '', baseUrl: '', version: 'r4' }, { allowCreate: true });
    const services = (store: ResourceStore) =>
      target === 'fhirgen' ? storeServices(store, ['Patient']) : { Patient: map };
    const { app, store } = buildServer({
      config,
      versions: { r4: { binding: benchBinding(), services } },
      logger: pino({ level: LOG_LEVEL }, pino.destination({ dest: '/dev/null', sync: false })),
    });
    await store.update('Patient', PATIENT_ID, patient, { allowCreate: true });
    listen = (port) => app.listen(port, '127.0.0.1');
  } else if (target === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.get('/r4/Patient/:id', (_req, res) => {
      res.json(patient);
    });
    let next = 0;
    app.post(
      '/r4/Patient',
      express.json({ type: ['application/json', 'application/fhir+json'] }),
      (req, res) => {
        next += 1;
        res.status(201).json({ ...req.body, id: String(next) });
      },
    );
    listen = (port) => app.listen(port, '127.0.0.1');
  } else {
    listen = await nodeFhirServerCore(patient);
  }
  // Exit cleanly on SIGTERM so that `node --cpu-prof` can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  // SIGUSR2: print the CPU time used since the last one (microseconds), which machine load does not skew.
  let cpuMark = process.cpuUsage();
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    process.stdout.write(`cpu ${used.user + used.system}\n`);
  });
  const server = listen(0);
  server.once('listening', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
}

/** node-fhir-server-core 2.2.5 with an in-memory Patient service, as its README sets it up. */
async function nodeFhirServerCore(patient: Record<string, unknown>) {
  const core = require(CORE_DIR);
  const { initialize, loggers, constants } = core;
  loggers.initialize({ level: 'error' });
  const service = {
    searchById: async () => patient,
    create: async () => ({ id: 'created' }),
  };
  const server = initialize({
    profiles: { patient: { service, versions: [constants.VERSIONS['4_0_1']] } },
    server: { port: 0 },
  });
  return (port: number) => server.app.listen(port, '127.0.0.1');
}

interface Figures {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  requests: number;
  /** Server CPU microseconds per request. */
  cpuPerRequest: number;
}

async function startTarget(target: Target): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', target], {
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

/** The server process's CPU time since the previous call, in microseconds. */
function cpuSinceLast(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.stdout?.once('data', (chunk) =>
      resolve(Number(/cpu (\d+)/.exec(String(chunk))?.[1] ?? Number.NaN)),
    );
    child.kill('SIGUSR2');
  });
}

function autocannon(url: string, args: string[]): Promise<Figures> {
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
          requests: result.requests.total,
          cpuPerRequest: 0,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses: Object.fromEntries(
            Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [
              code,
              (stats as { count: number }).count,
            ]),
          ),
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  const all: Target[] = ['fhirgen', 'fhirgen-map', 'express'];
  if (existsSync(CORE_DIR)) all.push('node-fhir-server-core');
  else process.stdout.write('(node-fhir-server-core not installed in bench/.cache; skipped)\n');
  // BENCH_TARGETS=fhirgen,express runs a subset.
  const wanted = process.env.BENCH_TARGETS?.split(',');
  const targets = wanted === undefined ? all : all.filter((target) => wanted.includes(target));
  const body = JSON.stringify(benchPatient());
  process.stdout.write(
    `Patient body ${body.length} bytes, ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS} rounds, fhirgen log level ${LOG_LEVEL}\n`,
  );
  // node-fhir-server-core routes by version number (https://github.com/bluehalo/node-fhir-server-core).
  const base = (port: number, target: Target) =>
    `http://127.0.0.1:${port}${target === 'node-fhir-server-core' ? '/4_0_1' : '/r4'}`;
  const postBody = ['-m', 'POST', '-H', 'content-type=application/fhir+json', '-b', body];
  const scenarios: Record<string, (port: number, target: Target) => Promise<Figures>> = {
    read: (port, target) => autocannon(`${base(port, target)}/Patient/${PATIENT_ID}`, []),
    create: (port, target) => autocannon(`${base(port, target)}/Patient`, postBody),
  };
  const results = new Map<string, Figures[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      const { child, port } = await startTarget(target);
      try {
        for (const [name, run] of Object.entries(scenarios)) {
          await cpuSinceLast(child);
          const figures = await run(port, target);
          figures.cpuPerRequest = (await cpuSinceLast(child)) / Math.max(1, figures.requests);
          const key = `${name} ${target}`;
          results.set(key, [...(results.get(key) ?? []), figures]);
        }
      } finally {
        child.kill('SIGTERM');
      }
    }
  }
  report(results, targets);
}

function report(results: Map<string, Figures[]>, targets: Target[]): void {
  const medianRps = (key: string) => median((results.get(key) ?? []).map((figures) => figures.rps));
  for (const scenario of ['read', 'create']) {
    const express = medianRps(`${scenario} express`);
    for (const target of targets) {
      const runs = results.get(`${scenario} ${target}`) ?? [];
      const rps = medianRps(`${scenario} ${target}`);
      const p99 = median(runs.map((figures) => figures.p99));
      const cpu = median(runs.map((figures) => figures.cpuPerRequest));
      const bad = runs.reduce((sum, figures) => sum + figures.non2xx + figures.errors, 0);
      const statuses: Record<string, number> = {};
      for (const figures of runs) {
        for (const [code, count] of Object.entries(figures.statuses))
          statuses[code] = (statuses[code] ?? 0) + count;
      }
      const timeouts = runs.reduce((sum, figures) => sum + figures.timeouts, 0);
      const detail = bad > 0 ? ` [statuses ${JSON.stringify(statuses)}, timeouts ${timeouts}]` : '';
      const vsExpress = express > 0 ? `${(rps / express).toFixed(2)}x express` : '';
      const ours = (['fhirgen', 'fhirgen-map'] as const)
        .filter((name) => target !== name && targets.includes(name) && rps > 0)
        .map((name) => `${name} ${(medianRps(`${scenario} ${name}`) / rps).toFixed(2)}x`);
      const versus =
        target.startsWith('fhirgen') || ours.length === 0 ? '' : `  (vs this: ${ours.join(', ')})`;
      process.stdout.write(
        `${scenario.padEnd(7)} ${target.padEnd(22)} ${rps.toFixed(0).padStart(6)} req/s  p99 ${String(p99).padStart(5)} ms  cpu ${cpu.toFixed(0).padStart(4)} us/req  ${vsExpress}  non-2xx/errors ${bad}${detail}${versus}\n`,
      );
    }
  }
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3] as Target).catch((error) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
