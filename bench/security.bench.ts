/**
 * Overhead of the security chain on read by id (issue 7): the same trivial Express route returning a
 * ~3 KB Patient, once behind the bearer middleware and scope guard and once without, served by a
 * child process and loaded by autocannon from this one, side by side in one run.
 *
 *   npm run bench security     (BENCH_SECONDS=10, BENCH_CONNECTIONS=50, BENCH_ROUNDS=3 by default)
 *
 * The child is this same file started with `serve`; it prints its two ports and stops when its
 * parent closes its stdin.
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
import { createSecurity } from '../src/runtime/security/index';
import { hashSecret } from '../src/runtime/security/secrets';
import { benchToken } from './client-token';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const PATIENT = {
  resourceType: 'Patient',
  id: 'p1',
  meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00Z' },
  name: Array.from({ length: 12 }, (_, i) => ({ family: `Family${i}`, given: [`Given${i}`, `Middle${i}`] })),
  telecom: Array.from({ length: 12 }, (_, i) => ({
    system: 'phone',
    value: `+1-555-0100-${i}`,
    use: 'home',
  })),
  address: Array.from({ length: 8 }, (_, i) => ({
    line: [`${i} Main Street`],
    city: 'Springfield',
    postalCode: '12345',
  })),
};

async function serve(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-security-'));
  const security = await createSecurity(
    {
      issuer: 'https://bench.example.test',
      keyFile: path.join(dir, 'key.json'),
      clients: [
        { clientId: 'bench', secretHash: await hashSecret('bench-secret'), scopes: ['system/Patient.rs'] },
      ],
    },
    { stateFile: path.join(dir, 'state.sqlite'), audit: new MemoryAuditLog() },
  );
  const read = (_req: express.Request, res: express.Response) => {
    res.json(PATIENT);
  };
  const secured = express();
  secured.disable('x-powered-by');
  if (security.routes) secured.use(security.routes);
  secured.get('/r4/Patient/:id', security.bearer, requireScope(security.enforcer, 'read', 'Patient'), read);
  const open = express();
  open.disable('x-powered-by');
  open.get('/r4/Patient/:id', read);
  const servers = [secured.listen(0, '127.0.0.1'), open.listen(0, '127.0.0.1')];
  await Promise.all(servers.map((server) => new Promise((resolve) => server.once('listening', resolve))));
  const [on, off] = servers.map((server) => (server.address() as AddressInfo).port);
  process.stdout.write(`${JSON.stringify({ on, off })}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      }),
    );
    // Requests the closed sockets had already delivered may still be on their way through the chain.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await security.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

function startChild(): Promise<{ child: ChildProcess; on: number; off: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, 'serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, ...JSON.parse(chunk.toString()) }));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

async function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
}

function failures(result: autocannon.Result): number {
  return result.errors + result.timeouts + result.non2xx;
}

function line(label: string, result: autocannon.Result): string {
  const errors = failures(result);
  return `${label.padEnd(14)} ${result.requests.average.toFixed(0).padStart(8)} req/s   p99 ${String(result.latency.p99).padStart(4)} ms   errors ${errors}`;
}

async function main(): Promise<void> {
  const { child, on: onPort, off: offPort } = await startChild();
  try {
    const bearer = await benchToken(`http://127.0.0.1:${onPort}`);
    // Warm both up so that neither pays for JIT compilation in its measured run.
    await autocannon({ url: `http://127.0.0.1:${offPort}/r4/Patient/p1`, connections: 10, duration: 2 });
    await autocannon({
      url: `http://127.0.0.1:${onPort}/r4/Patient/p1`,
      connections: 10,
      duration: 2,
      headers: { Authorization: `Bearer ${bearer}` },
    });
    // Alternate short rounds so that both variants see the same machine load (other processes).
    const off: number[] = [];
    const on: number[] = [];
    let errors = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const offResult = await load(`http://127.0.0.1:${offPort}/r4/Patient/p1`, {});
      const onResult = await load(`http://127.0.0.1:${onPort}/r4/Patient/p1`, {
        Authorization: `Bearer ${bearer}`,
      });
      process.stdout.write(
        `round ${round + 1}\n${line('security off', offResult)}\n${line('security on', onResult)}\n`,
      );
      off.push(offResult.requests.average);
      on.push(onResult.requests.average);
      errors += failures(offResult) + failures(onResult);
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    process.stdout.write(
      `read by id, ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS} s each, autocannon in a separate process from the server\n`,
    );
    process.stdout.write(
      `mean req/s: off ${mean(off).toFixed(0)}, on ${mean(on).toFixed(0)}; errors ${errors}\n`,
    );
    process.stdout.write(`ratio on/off: ${(mean(on) / mean(off)).toFixed(2)}\n`);
  } finally {
    child.stdin?.end();
  }
}

if (process.argv[2] === 'serve') void serve();
else void main();
