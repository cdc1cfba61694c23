/**
 * Loader figures. The parent process downloads the three cores from the loopback registry into a fresh
 * cache; a child process then reads them from the cache (the first read builds each folder's index, later
 * reads use it), so that its peak RSS is that of reading alone. Prints wall time per stage.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePackages, readPackageFolder } from '../src/definitions';
import { startRegistry } from '../test/support/registry';

const CORES = ['r4', 'stu3', 'dstu2'];
const IR_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem', 'SearchParameter'];

function timed<T>(label: string, run: () => T): T {
  const start = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${label.padEnd(46)} ${ms.toFixed(0).padStart(6)} ms\n`);
  return result;
}

const peakRss = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;

/** Child: read the given package folders three ways. */
function readStages(dirs: string[]): void {
  const count = (packages: { resources: unknown[] }[]) =>
    packages.reduce((n, p) => n + p.resources.length, 0);
  const first = timed('first read from cache (builds the index)', () =>
    count(dirs.map((d) => readPackageFolder(d))),
  );
  const all = timed('read from cache, all resources', () => count(dirs.map((d) => readPackageFolder(d))));
  const some = timed('read from cache, IR types only', () =>
    count(dirs.map((d) => readPackageFolder(d, { resourceTypes: IR_TYPES }))),
  );
  process.stdout.write(`resources: first ${first}, all ${all}, IR types ${some}\n`);
  process.stdout.write(`peak RSS of reading: ${peakRss()}\n`);
}

async function main(): Promise<void> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'fhirgen-bench-load-'));
  const registry = await startRegistry();
  try {
    const start = process.hrtime.bigint();
    const entries = await ensurePackages(CORES, { registry: registry.url, cache });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stdout.write(
      `${'download + unpack 3 cores (loopback registry)'.padEnd(46)} ${ms.toFixed(0).padStart(6)} ms\n`,
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

if (process.argv[2] === 'read') {
  readStages(process.argv.slice(3));
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
