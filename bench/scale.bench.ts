/**
 * `npm run bench scale [-- --duration 60 --connections 100 --stores embedded,postgres --instances 1,2]`:
 * the load figures of issue 8. A generated R4 project, installed once, serves with security on
 * (a client-credentials token with `system/*.*`, bound to the client's address), on each shared
 * backend of `test/support/backends.ts`, as one instance (requests sent to it directly) and as two
 * instances behind the round-robin balancer of `test/support/balancer.ts` (address binding through
 * its `X-Forwarded-For`). autocannon loads read by id, search (`Patient?name=`, 10 matches among
 * 1,000 Patients) and create for `--duration` seconds each, and the bench prints requests per
 * second, p50/p99 latency, errors, non-2xx answers, and each instance's RSS before and after the
 * run. Figures only: nothing here is asserted.
 */
import os from 'node:os';
import autocannon from 'autocannon';
import { clientSecretOf, clientToken } from '../test/e2e/security-support';
import { BACKENDS, type Backend } from '../test/support/backends';
import { type Cluster, rssMb, startCluster } from '../test/support/cluster';
import { installedProject } from '../test/support/project';

interface Options {
  duration: number;
  connections: number;
  warmup: number;
  stores: Backend[];
  instances: number[];
}

interface Figure {
  store: string;
  instances: number;
  load: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statuses: string;
  rss: { start: number; end: number }[];
}

const SEARCHED = 'Family7';
const SEEDED = 1000;
const READ_PATIENT = {
  resourceType: 'Patient',
  id: 'bench-read',
  name: Array.from({ length: 4 }, (_, i) => ({ family: `Reader${i}`, given: [`Given${i}`] })),
  telecom: Array.from({ length: 4 }, (_, i) => ({ system: 'phone', value: `+1-555-0100-${i}`, use: 'home' })),
  address: [{ line: ['1 Main Street'], city: 'Springfield' }],
};
const CREATED_PATIENT = JSON.stringify({
  resourceType: 'Patient',
  name: [{ family: 'Created', given: ['Bench'] }],
  gender: 'female',
  birthDate: '1980-02-03',
});

function readOptions(args: string[]): Options {
  const value = (name: string, fallback: string) => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 && args[index + 1] !== undefined ? (args[index + 1] as string) : fallback;
  };
  const storeIds = value('stores', BACKENDS.map((backend) => backend.id).join(',')).split(',');
  const stores = storeIds.map((id) => {
    const backend = BACKENDS.find((candidate) => candidate.id === id);
    if (backend === undefined)
      throw new Error(`unknown store ${id}; available: ${BACKENDS.map((b) => b.id).join(', ')}`);
    return backend;
  });
  return {
    duration: Number(value('duration', process.env.BENCH_SECONDS ?? '60')),
    connections: Number(value('connections', process.env.BENCH_CONNECTIONS ?? '100')),
    warmup: Number(value('warmup', '3')),
    stores,
    instances: value('instances', '1,2').split(',').map(Number),
  };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const project = await installedProject(['--name', 'scale-server', '--fhir', 'r4']);
  const secret = clientSecretOf(project.output);
  const figures: Figure[] = [];
  const failed: string[] = [];
  const memory: string[] = [];
  process.stdout.write(
    `${describeMachine()}; ${options.connections} connections, ${options.duration} s per load\n`,
  );
  for (const store of options.stores) {
    for (const size of options.instances) {
      const backend = await store.start();
      let cluster: Cluster | undefined;
      try {
        cluster = await startCluster(project.dir, { size, env: { ...backend.env, LOG_LEVEL: 'error' } });
        const target = size === 1 ? (cluster.instances[0]?.url as string) : cluster.url;
        const token = await clientToken(target, 'admin', secret);
        await seed(target, token);
        let first: number[] | undefined;
        let last: number[] = [];
        for (const load of loads(target, token)) {
          await autocannon({ ...load.request, connections: 10, duration: options.warmup });
          const start = cluster.instances.map((instance) => rssMb(instance.child.pid));
          first ??= start;
          const result = await autocannon({
            ...load.request,
            connections: options.connections,
            duration: options.duration,
          });
          const end = cluster.instances.map((instance) => rssMb(instance.child.pid));
          last = end;
          const figure: Figure = {
            store: store.id,
            instances: size,
            load: load.name,
            rps: result.requests.average,
            p50: result.latency.p50,
            p99: result.latency.p99,
            // autocannon counts timeouts among errors.
            errors: result.errors,
            timeouts: result.timeouts,
            non2xx: result.non2xx,
            statuses: statusesOf(result),
            rss: start.map((before, i) => ({ start: before, end: end[i] ?? Number.NaN })),
          };
          figures.push(figure);
          process.stdout.write(`${row(figure)}\n`);
        }
        // One load's window shows the heap growing to its working size or shrinking after a GC;
        // growth over all three loads is what says whether memory stays bounded.
        const span = (first ?? []).map((start, i) => ({ start, end: last[i] ?? Number.NaN }));
        memory.push(
          `${store.id} ${size}x: ${span.map(({ start, end }) => `${start.toFixed(0)}->${end.toFixed(0)} (${growth(start, end)})`).join(', ')}`,
        );
      } catch (error) {
        // One configuration that cannot run does not hide the figures of the others.
        failed.push(`${store.id} ${size}x: ${(error as Error).message.slice(0, 500)}`);
        process.stdout.write(`${store.id} ${size}x failed: ${(error as Error).message.slice(0, 500)}\n`);
      } finally {
        await cluster?.stop();
        await backend.stop();
      }
    }
  }
  process.stdout.write(`\n${table(figures)}\n`);
  process.stdout.write('\nRSS MB per instance, after the first warm-up -> after the last load:\n');
  for (const line of memory) process.stdout.write(`  ${line}\n`);
  for (const failure of failed) process.stdout.write(`not measured: ${failure}\n`);
  if (failed.length > 0) process.exitCode = 1;
}

/** The Patient read by id, and 1,000 Patients of 100 family names (one transaction). */
async function seed(base: string, token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' };
  const read = await fetch(`${base}/r4/Patient/bench-read`, {
    method: 'PUT',
    headers,
    body: JSON.stringify(READ_PATIENT),
  });
  if (read.status >= 300) throw new Error(`seeding Patient/bench-read: ${read.status} ${await read.text()}`);
  const entry = Array.from({ length: SEEDED }, (_, i) => ({
    resource: { resourceType: 'Patient', name: [{ family: `Family${i % 100}`, given: [`Seeded${i}`] }] },
    request: { method: 'POST', url: 'Patient' },
  }));
  const bundle = await fetch(`${base}/r4`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
  });
  if (bundle.status !== 200) throw new Error(`seeding Patients: ${bundle.status} ${await bundle.text()}`);
}

function loads(base: string, token: string): { name: string; request: autocannon.Options }[] {
  const headers = { authorization: `Bearer ${token}` };
  return [
    { name: 'read', request: { url: `${base}/r4/Patient/bench-read`, headers } },
    { name: 'search', request: { url: `${base}/r4/Patient?name=${SEARCHED}`, headers } },
    {
      name: 'create',
      request: {
        url: `${base}/r4/Patient`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/fhir+json' },
        body: CREATED_PATIENT,
      },
    },
  ];
}

/** Status codes other than 2xx, with their counts, for diagnosing a run with failures. */
function statusesOf(result: autocannon.Result): string {
  const stats = (result as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  return Object.entries(stats)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${code}x${count}`)
    .join(' ');
}

function rssText(figure: Figure): string {
  return figure.rss
    .map(({ start, end }) => `${start.toFixed(0)}->${end.toFixed(0)} (${growth(start, end)})`)
    .join(', ');
}

function growth(start: number, end: number): string {
  const percent = ((end - start) / start) * 100;
  return `${percent >= 0 ? '+' : ''}${percent.toFixed(0)}%`;
}

function row(figure: Figure): string {
  return [
    figure.store.padEnd(9),
    `${figure.instances}x`,
    figure.load.padEnd(6),
    `${figure.rps.toFixed(0).padStart(6)} req/s`,
    `p50 ${String(figure.p50).padStart(4)} ms`,
    `p99 ${String(figure.p99).padStart(5)} ms`,
    `errors ${figure.errors} (timeouts ${figure.timeouts})`,
    `non-2xx ${figure.non2xx}${figure.statuses ? ` (${figure.statuses})` : ''}`,
    `RSS MB ${rssText(figure)}`,
  ].join('  ');
}

function table(figures: Figure[]): string {
  const lines = [
    '| store | instances | load | req/s | p50 ms | p99 ms | errors (timeouts) | non-2xx | RSS MB start->end per instance |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const figure of figures) {
    lines.push(
      `| ${figure.store} | ${figure.instances} | ${figure.load} | ${figure.rps.toFixed(0)} | ${figure.p50} | ${figure.p99} | ${figure.errors} (${figure.timeouts}) | ${figure.non2xx}${figure.statuses ? ` (${figure.statuses})` : ''} | ${rssText(figure)} |`,
    );
  }
  return lines.join('\n');
}

/** The conditions figures depend on: cores and the load average when the run began. */
function describeMachine(): string {
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return `${os.availableParallelism()} cores, load average ${load} at start`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
