/**
 * `npm run bench classes`:
 * 1. Casting throughput on the 714 official R4 examples, side by side in one process: fhirgen's generated
 *    R4 classes against node-fhir-server-core 2.2.5's R4 classes (installed on first run into
 *    bench/.cache/, not a project dependency), with plain JSON copies as the yardstick. One cast is
 *    "construct from parsed JSON, then serialise"; rounds are interleaved and the median is kept.
 * 2. Wall time and peak memory of `fhirgen generate models` for the three versions, in a child process
 *    with a warm package cache (filled beforehand from ../shared/fhir). Aim: under 20 s and 1 GB.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTarball } from '../src/definitions/archive';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, '..', 'shared', 'fhir');
const PEER_DIR = path.join(__dirname, '.cache');
const PEER = '@asymmetrik/node-fhir-server-core@2.2.5';
const PEER_SCHEMAS = path.join(
  PEER_DIR,
  'node_modules/@asymmetrik/node-fhir-server-core/dist/server/resources/4_0_1/schemas',
);
const ROUNDS = 3;

type Json = { resourceType: string; [key: string]: unknown };
type Cast = (json: Json) => unknown;

function installPeer(): void {
  if (existsSync(PEER_SCHEMAS)) return;
  process.stdout.write(`installing ${PEER} into bench/.cache/ ...\n`);
  execFileSync('npm', ['install', '--prefix', PEER_DIR, '--no-save', '--no-audit', '--no-fund', PEER], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function readExamples(): Promise<Json[]> {
  const files = await readTarball(path.join(SHARED, 'hl7.fhir.r4.examples-4.0.1.tgz'));
  const out: Json[] = [];
  for (const [name, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = name.slice('package/'.length);
    if (
      !name.startsWith('package/') ||
      !file.endsWith('.json') ||
      file === 'package.json' ||
      file.includes('/')
    )
      continue;
    if (file.startsWith('.')) continue;
    out.push(JSON.parse(bytes.toString('utf8')) as Json);
  }
  return out;
}

/** Casts per second over `resources`, repeated until at least `minMs` have passed. */
function throughput(cast: Cast, resources: Json[], minMs: number): number {
  let count = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (const resource of resources) cast(resource);
    count += resources.length;
    elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return (count * 1000) / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function castingBench(): Promise<void> {
  installPeer();
  const examples = await readExamples();
  // biome-ignore lint/suspicious/noExplicitAny: the peer's classes are untyped JavaScript
  const peer = require(PEER_SCHEMAS) as Record<string, new (json: Json) => any>;
  const r4 = require(path.join(ROOT, 'generated', 'r4', 'index.ts')) as {
    fromJSON(json: unknown, report?: { dropped: unknown[] }): { toJSON(): unknown };
  };
  const both = examples.filter((json) => peer[json.resourceType.toLowerCase()] !== undefined);
  const patient = examples.filter((json) => json.resourceType === 'Patient' && json.id === 'example');
  const bytes = both.reduce((sum, json) => sum + JSON.stringify(json).length, 0);
  process.stdout.write(
    `R4 examples: ${examples.length}, cast by both: ${both.length} (${(bytes / 1e6).toFixed(1)} MB); ` +
      `Patient/example ${JSON.stringify(patient[0]).length} bytes\n`,
  );
  const casts: [string, Cast][] = [
    ['JSON copy (stringify + parse)', (json) => JSON.parse(JSON.stringify(json))],
    ['fhirgen fromJSON + toJSON', (json) => r4.fromJSON(json).toJSON()],
    ['fhirgen fromJSON(report) + toJSON', (json) => r4.fromJSON(json, { dropped: [] }).toJSON()],
    ['fhirgen fromJSON + JSON.stringify', (json) => JSON.stringify(r4.fromJSON(json))],
    [
      'node-fhir-server-core new + JSON.stringify',
      (json) =>
        JSON.stringify(new (peer[json.resourceType.toLowerCase()] as new (json: Json) => unknown)(json)),
    ],
  ];
  // The peer keeps Bundle entries (and contained resources) as plain objects without casting them.
  const notBundles = both.filter((json) => json.resourceType !== 'Bundle');
  for (const [label, set, minMs] of [
    ['all examples both can cast', both, 1500],
    ['the same without Bundles (whose entries the peer does not cast)', notBundles, 1500],
    ['Patient/example', patient, 700],
  ] as const) {
    const rates = new Map<string, number[]>(casts.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, cast] of casts)
        rates.get(name)?.push(throughput(cast, set as Json[], minMs as number));
    }
    process.stdout.write(`\n${label} (resources/s, median of ${ROUNDS} interleaved rounds)\n`);
    const peerRate = median(rates.get('node-fhir-server-core new + JSON.stringify') ?? []);
    for (const [name, values] of rates) {
      const rate = median(values);
      process.stdout.write(
        `  ${name.padEnd(44)} ${Math.round(rate).toString().padStart(8)}   ${(rate / peerRate).toFixed(1)}x peer\n`,
      );
    }
  }
}

function fillCache(cache: string): void {
  for (const archive of [
    'hl7.fhir.core-1.0.2.tgz',
    'hl7.fhir.core-3.0.1.tgz',
    'hl7.fhir.r4.core-4.0.1.tgz',
  ]) {
    const args = [path.join(ROOT, 'bin', 'fhirgen'), '--cache', cache, 'definitions', 'fetch'];
    const result = spawnSync(process.execPath, [...args, '--definitions', path.join(SHARED, archive)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`could not put ${archive} in the bench cache`);
  }
}

/** Runs `generate models` in a child (so its memory is its own) and reads the child's peak RSS. */
function generateBench(): void {
  const work = mkdtempSync(path.join(os.tmpdir(), 'fhirgen-bench-classes-'));
  try {
    const cache = path.join(work, 'cache');
    fillCache(cache);
    const script = [
      `const { main } = require(${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))});`,
      'const started = process.hrtime.bigint();',
      `main(['node', 'fhirgen', '--cache', ${JSON.stringify(cache)}, 'generate', 'models', '--out', ${JSON.stringify(path.join(work, 'out'))}]).then((code) => {`,
      '  const ms = Number(process.hrtime.bigint() - started) / 1e6;',
      '  process.stdout.write(JSON.stringify({ code, ms, maxRssKb: process.resourceUsage().maxRSS }));',
      '});',
    ].join('\n');
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (child.status !== 0) throw new Error(`generate models failed:\n${child.stderr}`);
    const figures = JSON.parse(child.stdout.slice(child.stdout.lastIndexOf('{'))) as {
      code: number;
      ms: number;
      maxRssKb: number;
    };
    if (figures.code !== 0) throw new Error(`generate models exited ${figures.code}:\n${child.stderr}`);
    process.stdout.write(`\ngenerate models, r4 + stu3 + dstu2, warm cache, fresh output folder\n`);
    process.stdout.write(child.stderr.replace(/^/gm, '  '));
    process.stdout.write(
      `  in-process ${(figures.ms / 1000).toFixed(1)} s, process wall ${(wallMs / 1000).toFixed(1)} s ` +
        `(with startup), peak RSS ${Math.round(figures.maxRssKb / 1024)} MB\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function run(): Promise<void> {
  await castingBench();
  generateBench();
}

run().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
