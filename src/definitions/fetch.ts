import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { FhirgenError } from '../errors';
import { canonicalPackageKey, isValidPackageId, parsePackageSpec } from './aliases';
import { findCached, installArchive, readOrigin, removeStaleTemps, tempPath } from './cache';
import { readFolderManifest, readPackageFolder } from './folder';
import { DEFAULT_HTTP, type HttpOptions } from './http';
import { digestFile, type ExpectedDigests, isSha256Hex, verifyDigests } from './integrity';
import { downloadPackage } from './registry';
import type { LoadedPackage, PackageId, PackageManifest } from './types';

export interface FetchOptions {
  /** Base URL of the package registry (`https://packages.fhir.org`). */
  registry: string;
  /** The package cache folder (`~/.fhir/packages`). */
  cache: string;
  /** Expected sha256 (hex) of the archive of the one package asked for. */
  sha256?: string;
  /** Progress bar while downloading (shown on a TTY only). */
  progress?: boolean;
  /** Idle timeout of each request, in ms. */
  timeoutMs?: number;
  /** Attempts in all for a transient failure (5xx, reset, timeout); 404 is never retried. */
  attempts?: number;
  /** fetchPackages reads only resources of these types (faster); all when absent. */
  resourceTypes?: readonly string[];
}

/** A package folder in the cache and where it came from this time. */
export interface CachedPackage {
  id: PackageId;
  dir: string;
  manifest: PackageManifest;
  origin: 'cache' | 'registry' | 'file';
}

/** Makes sure the packages and their dependencies are in the cache, then reads them. */
export async function fetchPackages(specs: string[], options: FetchOptions): Promise<LoadedPackage[]> {
  const cached = await ensurePackages(specs, options);
  return cached.map((entry) => readPackageFolder(entry.dir, { resourceTypes: options.resourceTypes }));
}

/**
 * Puts the packages named by `specs` and everything they depend on into the cache, downloading only what
 * is missing. Returns each package once, the asked-for ones first, then dependencies breadth first.
 */
export async function ensurePackages(specs: string[], options: FetchOptions): Promise<CachedPackage[]> {
  const requested = specs.map(parsePackageSpec);
  const expected = expectedForRequest(requested, options);
  return ensureWithDependencies(
    requested.map((id) => ({ id })),
    new Map(),
    options,
    expected,
  );
}

/**
 * Installs a local package archive (`--definitions x.tgz`) into the cache under its own name, checked
 * against `options.sha256`, then fetches its dependencies.
 */
export async function importArchive(file: string, options: FetchOptions): Promise<CachedPackage[]> {
  if (!existsSync(file)) {
    throw new FhirgenError('UNREADABLE_INPUT', 'the package archive does not exist', {
      location: file,
      hint: 'give the path of a FHIR package .tgz',
    });
  }
  if (options.sha256 !== undefined) checkSha256Option(options.sha256);
  const digests = await digestFile(file);
  verifyDigests(
    digests,
    { sha256: options.sha256 },
    { location: file, hint: 'check that this is the file you meant to use', code: 'FILE_CHECKSUM_MISMATCH' },
  );
  const sha256 = digests.sha256.toString('hex');
  const installed = await installArchive(options.cache, undefined, file, { sha256, source: file });
  const entry: CachedPackage = { ...installed, origin: 'file' };
  return ensureWithDependencies(
    dependenciesOf(entry),
    new Map([[canonicalPackageKey(entry.id), entry]]),
    options,
    {},
  );
}

async function ensureWithDependencies(
  queue: QueueItem[],
  done: Map<string, CachedPackage>,
  options: FetchOptions,
  expected: ExpectedDigests,
): Promise<CachedPackage[]> {
  removeStaleTemps(options.cache);
  const http: HttpOptions = {
    timeoutMs: options.timeoutMs ?? DEFAULT_HTTP.timeoutMs,
    attempts: options.attempts ?? DEFAULT_HTTP.attempts,
    progress: options.progress ?? DEFAULT_HTTP.progress,
  };
  for (let item = queue.shift(); item; item = queue.shift()) {
    const key = canonicalPackageKey(item.id);
    // The DSTU2 core lists itself as its own dependency: a package is handled once.
    if (done.has(key)) continue;
    const digests = item.neededBy === undefined ? expected : {};
    const entry = await ensureOne(item.id, item.neededBy, digests, options, http);
    done.set(key, entry);
    queue.push(...dependenciesOf(entry));
  }
  return [...done.values()];
}

interface QueueItem {
  id: PackageId;
  /** `name@version` of the package that depends on this one; absent for the ones asked for. */
  neededBy?: string;
}

function dependenciesOf(entry: CachedPackage): QueueItem[] {
  const neededBy = `${entry.id.name}@${entry.id.version}`;
  return Object.entries(entry.manifest.dependencies ?? {}).map(([name, version]) => {
    const id = { name, version: String(version) };
    if (!isValidPackageId(id)) {
      throw new FhirgenError(
        'BAD_PACKAGE_SPEC',
        `${neededBy} names a dependency fhirgen cannot fetch: ${name}@${version}`,
        {
          location: path.join(entry.dir, 'package', 'package.json'),
          hint: 'dependencies need an exact name and version; fix the package or fetch the dependency yourself',
        },
      );
    }
    return { id, neededBy };
  });
}

function expectedForRequest(requested: PackageId[], options: FetchOptions): ExpectedDigests {
  if (options.sha256 === undefined) return {};
  checkSha256Option(options.sha256);
  if (requested.length !== 1) {
    throw new FhirgenError('INVALID_OPTION', '--sha256 checks one package; name exactly one', {
      hint: 'fetch the packages one at a time, each with its own --sha256',
    });
  }
  return { sha256: options.sha256 };
}

async function ensureOne(
  id: PackageId,
  neededBy: string | undefined,
  expected: ExpectedDigests,
  options: FetchOptions,
  http: HttpOptions,
): Promise<CachedPackage> {
  const dir = findCached(options.cache, id);
  if (dir) {
    checkCachedDigest(dir, expected);
    return { id, dir, manifest: readFolderManifest(dir), origin: 'cache' };
  }
  const archive = tempPath(options.cache, '.tgz');
  try {
    const download = await downloadPackage(options.registry, id, archive, http).catch((error: unknown) => {
      throw neededBy ? asMissingDependency(error, id, neededBy) : error;
    });
    const digests = await digestFile(archive);
    verifyDigests(
      digests,
      { ...download.expected, ...expected },
      {
        location: download.url,
        hint: 'nothing was cached; try again, or check --registry (or FHIRGEN_REGISTRY)',
        code: 'CHECKSUM_MISMATCH',
      },
    );
    const sha256 = digests.sha256.toString('hex');
    const installed = await installArchive(options.cache, id, archive, { sha256, source: download.url });
    return { ...installed, origin: 'registry' };
  } finally {
    rmSync(archive, { force: true });
  }
}

/** A cached folder can only be checked against the archive fhirgen unpacked it from. */
function checkCachedDigest(dir: string, expected: ExpectedDigests): void {
  if (!expected.sha256) return;
  const origin = readOrigin(dir);
  if (origin?.sha256.toLowerCase() === expected.sha256.toLowerCase()) return;
  throw new FhirgenError(
    'CHECKSUM_MISMATCH',
    'the cached package was not unpacked from an archive with that sha256',
    {
      location: dir,
      hint: 'delete that folder and fetch the package again with --sha256',
    },
  );
}

function checkSha256Option(sha256: string): void {
  if (isSha256Hex(sha256)) return;
  throw new FhirgenError('INVALID_OPTION', '--sha256 takes 64 hexadecimal characters', { location: sha256 });
}

function asMissingDependency(error: unknown, id: PackageId, neededBy: string): unknown {
  if (!(error instanceof FhirgenError) || error.code !== 'PACKAGE_NOT_FOUND') return error;
  return new FhirgenError(
    'DEPENDENCY_NOT_FOUND',
    `dependency ${id.name}@${id.version} of ${neededBy} cannot be found`,
    {
      location: error.location,
      hint: 'check --registry (or FHIRGEN_REGISTRY), or put the package in the cache',
      cause: error,
    },
  );
}
