/**
 * One package cache for the whole mocha run, filled through the loopback registry with the three cores
 * and US Core 3.1.0 (with its dependency), removed when the process exits. Tests that need FHIR
 * definitions call `sharedFhirCache()` (or `sharedPackages(...)`) instead of fetching their own, in a
 * `before` hook with a generous timeout (the first call downloads and unpacks about 15 MB of archives):
 *
 *   before(async function () {
 *     this.timeout(180_000);
 *     packages = await sharedPackages('r4');
 *   });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePackages, fetchPackages, type LoadedPackage } from '../../src/definitions';
import { startRegistry } from './registry';

export interface SharedFhirCache {
  /** The cache folder: `<cache>/<name>#<version>/package/...`. Read it; do not write into it. */
  cache: string;
  /**
   * URL of the loopback registry that filled it; it stays up for the rest of the run. It answers from
   * this process: a child process that downloads through it must be started asynchronously (execFile,
   * spawn), since spawnSync/execFileSync block the process that serves it.
   */
  registry: string;
  /** The requests the registry received while the cache was filled, for tests of the loader. */
  setupRequests: readonly string[];
  /** What `ensurePackages` returned while filling it, as `name@version origin`. */
  setupResult: readonly string[];
}

export const SHARED_SPECS = ['r4', 'stu3', 'dstu2', 'hl7.fhir.us.core@3.1.0'] as const;

let shared: Promise<SharedFhirCache> | undefined;
const loaded = new Map<string, Promise<LoadedPackage[]>>();

export function sharedFhirCache(): Promise<SharedFhirCache> {
  if (!shared) {
    shared = createSharedCache();
    // A failed set-up is not remembered, so that a later test sees the real error again.
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/**
 * The packages of `specs` (with their dependencies) read from the shared cache, memoized per set of specs:
 * `sharedPackages('r4')`. Shared objects: do not modify them.
 */
export function sharedPackages(...specs: string[]): Promise<LoadedPackage[]> {
  const key = specs.join(' ');
  let packages = loaded.get(key);
  if (!packages) {
    packages = sharedFhirCache().then(({ cache, registry }) => fetchPackages(specs, { cache, registry }));
    packages.catch(() => loaded.delete(key));
    loaded.set(key, packages);
  }
  return packages;
}

async function createSharedCache(): Promise<SharedFhirCache> {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'fhirgen-test-cache-'));
  process.once('exit', () => rmSync(cache, { recursive: true, force: true }));
  // unref: the registry must not keep mocha's process alive once the tests are done.
  const registry = await startRegistry({ unref: true });
  const result = await ensurePackages([...SHARED_SPECS], { registry: registry.url, cache });
  return {
    cache,
    registry: registry.url,
    setupRequests: [...registry.requests],
    setupResult: result.map((entry) => `${entry.id.name}@${entry.id.version} ${entry.origin}`),
  };
}
