/**
 * Overhead of the whole security chain of a generated server on read by id (issue 7 "Figures to
 * record"): the project start-up (`startProject`) with the real R4 binding and the embedded store,
 * once with security on (helmet headers, bearer token, address binding, token state lookup, SMART
 * scope check, compartment guard, audit) and once with `SECURITY=off` (headers only). Each variant
 * runs in a child process of its own; autocannon loads them from this process in alternating rounds,
 * side by side in one run.
 *
 *   npm run bench project-security     (BENCH_SECONDS=10, BENCH_CONNECTIONS=50, BENCH_ROUNDS=3)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startProject } from '../src/runtime/app/run';
import { hashSecret } from '../src/runtime/security/secrets';
import { storeServices } from '../src/runtime/store/store-service';
import { generatedBinding, generatedSearchTables } from '../test/runtime/fixtures/generated';
import { benchToken } from './client-token';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const PATIENT = {
  resourceType: 'Patient',
  id: 'p1',
  name: Array.from({ length: 12 }, (_, i) => ({ family: `Family${i}`, given: [`Given${i}`, `Middle${i}`] })),
  telecom: Array.from({ length: 12 }, (_, i) => ({
    system: 'phone',
    value: `+1-555-0100-${i}`,
    use: 'home',
  })),
  address: Array.from({ length: 8 }, (_, i) => ({ line: [`${i} Main Street`], city: 'Springfield' })),
};

/** Child: one project, security on or off, with Patient/p1 stored; prints its URL and a token. */
async function serve(security: 'on' | 'off'): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bench-project-'));
  const secretHash = await hashSecret('bench-secret');
  writeFileSync(
    path.join(dir, 'fhirgen.config.json'),
    JSON.stringify({
      security: { clients: [{ clientId: 'bench', secretHash, scopes: ['system/Patient.cruds'] }] },
    }),
  );
  const binding = generatedBinding('r4');
  const project = await startProject({
    projectDir: dir,
    versions: [
      {
        binding,
        basePath: '/r4',
        searchTables: generatedSearchTables('r4'),
        createServices: ({ store }) => storeServices(store, ['Patient']),
      },
    ],
    env: { PORT: '0', HOST: '127.0.0.1', STORE: 'memory', LOG_LEVEL: 'silent', SECURITY: security },
  });
  const admin = security === 'on' ? await benchToken(project.url) : '';
  const put = await fetch(`${project.url}/r4/Patient/p1`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/fhir+json',
      ...(admin ? { authorization: `Bearer ${admin}` } : {}),
    },
    body: JSON.stringify(PATIENT),
  });
  if (put.status >= 300) throw new Error(`PUT failed: ${put.status}`);
  process.stdout.write(`${JSON.stringify({ url: project.url, token: admin })}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await project.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

function startChild(security: 'on' | 'off'): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, 'serve', security], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, ...JSON.parse(chunk.toString()) }));
    child.once('exit', (code) => reject(new Error(`bench server (${security}) exited with ${code}`)));
  });
}

function load(url: string, token: string, duration = SECONDS, connections = CONNECTIONS) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return autocannon({ url: `${url}/r4/Patient/p1`, connections, duration, headers });
}

const failures = (result: autocannon.Result) => result.errors + result.timeouts + result.non2xx;

function line(label: string, result: autocannon.Result): string {
  return `${label.padEnd(14)} ${result.requests.average.toFixed(0).padStart(8)} req/s   p99 ${String(result.latency.p99).padStart(4)} ms   errors ${failures(result)}`;
}

async function main(): Promise<void> {
  const [on, off] = await Promise.all([startChild('on'), startChild('off')]);
  try {
    // Warm-up, so that neither variant pays for JIT compilation in its measured rounds.
    await load(off.url, off.token, 2, 10);
    await load(on.url, on.token, 2, 10);
    const rates = { on: [] as number[], off: [] as number[] };
    let errors = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const offResult = await load(off.url, off.token);
      const onResult = await load(on.url, on.token);
      process.stdout.write(
        `round ${round + 1}\n${line('security off', offResult)}\n${line('security on', onResult)}\n`,
      );
      rates.off.push(offResult.requests.average);
      rates.on.push(onResult.requests.average);
      errors += failures(offResult) + failures(onResult);
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    process.stdout.write(
      `generated server (startProject, R4 binding, embedded store), GET /r4/Patient/p1, ${CONNECTIONS} connections, ${ROUNDS} x ${SECONDS} s\n`,
    );
    process.stdout.write(
      `mean req/s: off ${mean(rates.off).toFixed(0)}, on ${mean(rates.on).toFixed(0)}; errors ${errors}\n`,
    );
    process.stdout.write(`ratio on/off: ${(mean(rates.on) / mean(rates.off)).toFixed(2)}\n`);
  } finally {
    on.child.stdin?.end();
    off.child.stdin?.end();
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3] === 'off' ? 'off' : 'on');
else void main();
