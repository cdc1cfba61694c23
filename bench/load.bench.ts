/**
 * Loader figures. The parent process downloads the three cores from the loopback registry into a fresh
 * cache; a child process then reads them from the cache (the first read builds each folder's index, later
 * reads use it), so that its peak RSS is that of reading alone. Prints wall and CPU time per stage.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePackages, readPackageFolder } from '../src/definitions';
import { startRegistry } from '../test/support/registry';

const CORES = ['r4', 'stu3', 'dstu2'];
const IR_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem', 'SearchParameter'];

/** Wall time, and CPU time (user + system), which a busy shared machine distorts less. */
async function timed<T>(label: string, run: () => T | Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await run();
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  process.stdout.write(
    `${label.padEnd(46)} ${wallMs.toFixed(0).padStart(6)} ms wall ${cpuMs.toFixed(0).padStart(6)} ms CPU\n`,
  );
  return result;
}

const peakRss = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;

/** Child: read the given package folders three ways. */
async function readStages(dirs: string[]): Promise<void> {
  const count = (packages: { resources: unknown[] }[]) =>
    packages.reduce((n, p) => n + p.resources.length, 0);
  const first = await timed('first read from cache (builds the index)', () =>
    count(dirs.map((dir) => readPackageFolder(dir))),
  );
  const all = await timed('read from cache, all resources', () =>
    count(dirs.map((dir) => readPackageFolder(dir))),
  );
  const some = await timed('read from cache, IR types only', () =>
    count(dirs.map((dir) => readPackageFolder(dir, { resourceTypes: IR_TYPES }))),
  );
  process.stdout.write(`resources: first ${first}, all ${all}, IR types ${some}\n`);
  process.stdout.write(`peak RSS of reading: ${peakRss()}\n`);
}

async function main(): Promise<void> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'fhirgen-bench-load-'));
  const registry = await startRegistry();
  try {
    // The CPU figure of this stage includes the loopback registry, which runs in this process.
    const entries = await timed('download + unpack 3 cores (loopback registry)', () =>
      ensurePackages(CORES, { registry: registry.url, cache }),
    );
    process.stdout.write(`peak RSS of downloading: ${peakRss()}\n`);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', __filename, 'read', ...entries.map((entry) => entry.dir)],
      { stdio: 'inherit' },
    );
    if (child.status !== 0) throw new Error(`the read stage failed with status ${child.status}`);
  } finally {
    await registry.close();
    rmSync(cache, { recursive: true, force: true });
  }
}

const stages = process.argv[2] === 'read' ? readStages(process.argv.slice(3)) : main();
stages.catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
