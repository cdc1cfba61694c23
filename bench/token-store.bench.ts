/**
 * Cost of the token store on the hot path (issue 8): read by id behind the bearer middleware and
 * scope guard, with the token state in the embedded SQLite file and in Redis (a local redis-server
 * on loopback, started for the run), and the same route without security, side by side in one run.
 * Every secured request reads the token's state (fingerprint, supersession, revocation) and checks
 * the address block from the store.
 *
 *   npm run bench token-store     (BENCH_SECONDS=10, BENCH_CONNECTIONS=50, BENCH_ROUNDS=3 by default)
 *
 * The servers run in a child process (this file started with `serve <redis url>`); it prints its
 * ports and stops when its parent closes its stdin. Needs redis-server (scripts/install-test-servers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import { MemoryAuditLog } from '../src/runtime/security/audit';
import { requireScope } from '../src/runtime/security/guard';
import { createSecurity, type Security } from '../src/runtime/security/index';
import { openRedisTokenStore } from '../src/runtime/security/redis-token-store';
import { hashSecret } from '../src/runtime/security/secrets';
import { startRedis } from '../test/support/redis';
import { benchToken } from './client-token';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const VARIANTS = ['security off', 'SQLite store', 'Redis store'] as const;
type Variant = (typeof VARIANTS)[number];

const PATIENT = {
  resourceType: 'Patient',
  id: 'p1',
  name: Array.from({ length: 12 }, (_, i) => ({ family: `Family${i}`, given: [`Given${i}`] })),
};

async function serve(redisUrl: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-token-store-'));
  const secretHash = await hashSecret('bench-secret');
  const options = {
    issuer: 'https://bench.example.test',
    keyFile: path.join(dir, 'key.json'),
    clients: [{ clientId: 'bench', secretHash, scopes: ['system/Patient.rs'] }],
  };
  const sqlite = await createSecurity(options, {
    stateFile: path.join(dir, 'state.sqlite'),
    audit: new MemoryAuditLog(),
  });
  const redis = await createSecurity(options, {
    store: await openRedisTokenStore({ url: redisUrl }),
    audit: new MemoryAuditLog(),
  });
  const read = (_req: express.Request, res: express.Response) => {
    res.json(PATIENT);
  };
  const secured = (security: Security) => {
    const app = express();
    app.disable('x-powered-by');
    if (security.routes) app.use(security.routes);
    app.get('/r4/Patient/:id', security.bearer, requireScope(security.enforcer, 'read', 'Patient'), read);
    return app;
  };
  const open = express();
  open.disable('x-powered-by');
  open.get('/r4/Patient/:id', read);
  const servers = [open, secured(sqlite), secured(redis)].map((app) => app.listen(0, '127.0.0.1'));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.once('listening', resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await Promise.all([sqlite.close(), redis.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
}

function startChild(redisUrl: string): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, 'serve', redisUrl], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, ports: JSON.parse(chunk.toString()) }));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

function failures(result: autocannon.Result): number {
  return result.errors + result.timeouts + result.non2xx;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const { child, ports } = await startChild(redis.url);
  try {
    const headers: Record<Variant, Record<string, string>> = {
      'security off': {},
      'SQLite store': {
        Authorization: `Bearer ${await benchToken(`http://127.0.0.1:${ports[1] as number}`)}`,
      },
      'Redis store': {
        Authorization: `Bearer ${await benchToken(`http://127.0.0.1:${ports[2] as number}`)}`,
      },
    };
    const url = (i: number) => `http://127.0.0.1:${ports[i]}/r4/Patient/p1`;
    // Warm up every variant so that none pays for JIT compilation in its measured run.
    for (const [i, variant] of VARIANTS.entries()) {
      await autocannon({ url: url(i), connections: 10, duration: 2, headers: headers[variant] });
    }
    const rates: Record<Variant, number[]> = { 'security off': [], 'SQLite store': [], 'Redis store': [] };
    let errors = 0;
    // Alternating short rounds: every variant sees the same load from other processes.
    for (let round = 0; round < ROUNDS; round += 1) {
      process.stdout.write(`round ${round + 1}\n`);
      for (const [i, variant] of VARIANTS.entries()) {
        const result = await autocannon({
          url: url(i),
          connections: CONNECTIONS,
          duration: SECONDS,
          headers: headers[variant],
        });
        rates[variant].push(result.requests.average);
        errors += failures(result);
        process.stdout.write(
          `${variant.padEnd(14)} ${result.requests.average.toFixed(0).padStart(8)} req/s   p50 ${String(result.latency.p50).padStart(3)} ms   p99 ${String(result.latency.p99).padStart(4)} ms   errors ${failures(result)}\n`,
        );
      }
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const off = mean(rates['security off']);
    process.stdout.write(
      `read by id, ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS} s per variant; errors ${errors}\n`,
    );
    for (const variant of VARIANTS) {
      process.stdout.write(
        `${variant.padEnd(14)} mean ${mean(rates[variant]).toFixed(0).padStart(8)} req/s   ratio to security off ${(mean(rates[variant]) / off).toFixed(2)}\n`,
      );
    }
    process.stdout.write(
      `Redis / SQLite: ${(mean(rates['Redis store']) / mean(rates['SQLite store'])).toFixed(2)}\n`,
    );
  } finally {
    child.stdin?.end();
    await new Promise((resolve) => child.once('exit', resolve));
    await redis.stop();
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3] as string);
else void main();
