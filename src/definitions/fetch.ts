import { rmSync } from 'node:fs';
import { FhirgenError } from '../errors';
import { canonicalPackageKey, parsePackageSpec } from './aliases';
import { findCached, installArchive, readOrigin, tempPath } from './cache';
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
}

/** A package folder in the cache and where it came from this time. */
export interface CachedPackage {
  id: PackageId;
  dir: string;
  manifest: PackageManifest;
  origin: 'cache' | 'registry';
}

/** Makes sure the packages and their dependencies are in the cache, then reads them. */
export async function fetchPackages(specs: string[], options: FetchOptions): Promise<LoadedPackage[]> {
  const cached = await ensurePackages(specs, options);
  return cached.map((entry) => readPackageFolder(entry.dir));
}

/**
 * Puts the packages named by `specs` and everything they depend on into the cache, downloading only what
 * is missing. Returns each package once, the asked-for ones first, then dependencies breadth first.
 */
export async function ensurePackages(specs: string[], options: FetchOptions): Promise<CachedPackage[]> {
  const requested = specs.map(parsePackageSpec);
  const expected = expectedForRequest(requested, options);
  const queue: { id: PackageId; neededBy?: string }[] = requested.map((id) => ({ id }));
  const done = new Map<string, CachedPackage>();
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
    for (const [name, version] of Object.entries(entry.manifest.dependencies ?? {})) {
      queue.push({ id: { name, version }, neededBy: `${item.id.name}@${item.id.version}` });
    }
  }
  return [...done.values()];
}

function expectedForRequest(requested: PackageId[], options: FetchOptions): ExpectedDigests {
  if (options.sha256 === undefined) return {};
  if (!isSha256Hex(options.sha256)) {
    throw new FhirgenError('INVALID_OPTION', '--sha256 takes 64 hexadecimal characters', {
      location: options.sha256,
    });
  }
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
      download.url,
      'nothing was cached; try again, or check --registry (or FHIRGEN_REGISTRY)',
    );
    const sha256 = digests.sha256.toString('hex');
    const installed = await installArchive(options.cache, id, archive, { sha256, source: download.url });
    return { id, dir: installed.dir, manifest: installed.manifest, origin: 'registry' };
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
