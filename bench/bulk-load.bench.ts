/**
 * `npm run bench bulk-load`: `npm run load`'s rate and peak memory on N rich Patients (~3 KB each, as
 * bench/server.bench.ts's, with ids, names, identifiers and birth dates varied by index) from one
 * NDJSON file into a fresh SQLite store, with the real R4 validators and the search index. Each stage
 * runs in its own process, so that its peak RSS is its own:
 *
 * - `read + parse`: the file's lines through the loader's line reader and JSON.parse (the floor of
 *   any NDJSON loader in Node);
 * - `+ validate`: the same with the R4 validator on each resource;
 * - `load`: the whole load (`runLoad`, as `npm run load` runs it), store writes and indexing included.
 *
 * BENCH_LOAD_N: resources (default 100000). BENCH_LOAD_BATCH: resources per transaction (default 1000).
 * The same file is a stage's process when started as `bulk-load.bench.ts --stage <name> <dir>`.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLines } from '../src/runtime/load/lines';
import { load, r4Module } from '../test/runtime/fixtures/load/project';
import { bulkPatient } from '../test/support/bulk-data';

const N = Number(process.env.BENCH_LOAD_N ?? 100_000);
const BATCH = process.env.BENCH_LOAD_BATCH ?? '1000';
const STAGES = ['read + parse', '+ validate', 'load'] as const;
type Stage = (typeof STAGES)[number];

/** Streams N Patients to the file, waiting for the stream to drain: memory stays flat at any N. */
async function writePatients(file: string): Promise<void> {
  const out = createWriteStream(file);
  for (let index = 0; index < N; index += 1) {
    if (!out.write(`${JSON.stringify(bulkPatient(index, true))}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

async function runStage(stage: Stage, dir: string): Promise<void> {
  const file = path.join(dir, 'patients.ndjson');
  const started = process.hrtime.bigint();
  let count = 0;
  if (stage === 'load') {
    const output = await load(dir, [file, '--batch', BATCH]);
    if (output.code !== 0) throw new Error(`load exited ${output.code}: ${output.stderr}`);
    count = Number(/^loaded (\d+)/.exec(output.stdout)?.[1]);
  } else {
    for await (const line of readLines(file)) {
      const json = JSON.parse(line.text);
      if (stage === '+ validate' && r4Module.binding.validate(json).length > 0) throw new Error('invalid');
      count += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage();
  process.stdout.write(
    JSON.stringify({
      count,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxRssKb: process.resourceUsage().maxRSS,
    }),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-bulk-load-'));
  try {
    const file = path.join(dir, 'patients.ndjson');
    await writePatients(file);
    writeFileSync(path.join(dir, 'fhirgen.config.json'), JSON.stringify({ versions: ['r4'] }));
    const mb = statSync(file).size / (1024 * 1024);
    process.stdout.write(`${N} rich Patients, ${mb.toFixed(0)} MB of NDJSON, batches of ${BATCH}\n`);
    process.stdout.write(
      `${'stage'.padEnd(14)} ${'resources/s'.padStart(12)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'peak RSS'.padStart(9)}\n`,
    );
    for (const stage of STAGES) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--stage', stage, dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(`stage ${stage} failed (${child.status})`);
      const figures = JSON.parse(child.stdout) as {
        count: number;
        seconds: number;
        cpuSeconds: number;
        maxRssKb: number;
      };
      if (figures.count !== N) throw new Error(`stage ${stage} counted ${figures.count} of ${N}`);
      process.stdout.write(
        `${stage.padEnd(14)} ${(N / figures.seconds).toFixed(0).padStart(12)} ${figures.seconds.toFixed(1).padStart(8)} ${figures.cpuSeconds.toFixed(1).padStart(8)} ${`${(figures.maxRssKb / 1024).toFixed(0)} MB`.padStart(9)}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stageAt = process.argv.indexOf('--stage');
if (stageAt >= 0) {
  runStage(process.argv[stageAt + 1] as Stage, process.argv[stageAt + 2] as string).catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
