/**
 * `npm run bench ir`: loads the DSTU2, STU3 and R4 core packages from a package cache and builds
 * their IR, all three kept in memory together; prints wall time per step and the peak resident set
 * size of the process. The cache is filled beforehand, in a child process so that it does not count,
 * from the archives in ../shared/fhir. Aim (issue 2): under 3 s and under 500 MB together.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePackages, readPackageFolder } from '../src/definitions';
import { buildModel, type FhirModel, type FhirVersionId, IR_RESOURCE_TYPES } from '../src/ir';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, '..', 'shared', 'fhir');
const CORES: [FhirVersionId, string][] = [
  ['dstu2', 'hl7.fhir.core-1.0.2.tgz'],
  ['stu3', 'hl7.fhir.core-3.0.1.tgz'],
  ['r4', 'hl7.fhir.r4.core-4.0.1.tgz'],
];

function fillCache(cache: string): void {
  for (const [, archive] of CORES) {
    const args = [path.join(ROOT, 'bin', 'fhirgen'), '--cache', cache, 'definitions', 'fetch'];
    const result = spawnSync(process.execPath, [...args, '--definitions', path.join(SHARED, archive)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`could not put ${archive} in the bench cache`);
  }
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
const ms = (from: number, to: number) => `${(to - from).toFixed(0)} ms`;
/** CPU time (user + system) of this process since `from`, to tell work from waiting on a busy machine. */
const cpu = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return `${((used.user + used.system) / 1000).toFixed(0)} ms`;
};

async function main(): Promise<void> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'fhirgen-bench-ir-'));
  try {
    fillCache(cache);
    const rssBefore = process.memoryUsage().rss;
    const models: FhirModel[] = [];
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (const [versionId] of CORES) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      // Cached packages: no request reaches this registry address.
      const [entry] = await ensurePackages([versionId], { registry: 'http://127.0.0.1:9', cache });
      if (!entry) throw new Error(`${versionId} is not in the bench cache`);
      const pkg = readPackageFolder(entry.dir, { resourceTypes: IR_RESOURCE_TYPES });
      const t1 = performance.now();
      const loadCpu = cpu(c0);
      const c1 = process.cpuUsage();
      models.push(buildModel([pkg], versionId));
      const t2 = performance.now();
      process.stdout.write(
        `${versionId.padEnd(6)} load ${ms(t0, t1).padStart(8)} (cpu ${loadCpu.padStart(8)})   ` +
          `build IR ${ms(t1, t2).padStart(8)} (cpu ${cpu(c1).padStart(8)})\n`,
      );
    }
    const total = performance.now() - started;
    const peak = process.resourceUsage().maxRSS * 1024;
    const types = models.reduce(
      (n, m) => n + m.primitives.length + m.complexTypes.length + m.resources.length,
      0,
    );
    process.stdout.write(
      `total  ${total.toFixed(0)} ms wall, ${cpu(cpuStarted)} cpu, for ${types} types in 3 models (aim: < 3000 ms)\n`,
    );
    process.stdout.write(
      `memory peak RSS ${mb(peak)} (aim: < 500 MB), RSS before loading ${mb(rssBefore)}, heap now ${mb(process.memoryUsage().heapUsed)}\n`,
    );
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench ir: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
