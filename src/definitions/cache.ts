import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FhirgenError } from '../errors';
import { canonicalPackageKey, equivalentNames } from './aliases';
import { readTarball } from './archive';
import { readFolderManifest } from './folder';
import { fhirVersionOf } from './package';
import type { PackageId, PackageManifest } from './types';

/**
 * The shared FHIR package cache: one folder per package, `<cache>/<name>#<version>/package/...`, the
 * layout FHIR tools use (https://confluence.hl7.org/display/FHIR/FHIR+Package+Cache).
 */
export const packageFolder = (cache: string, id: PackageId): string =>
  path.join(cache, `${id.name}#${id.version}`);

/** fhirgen's own note beside `package/`: the sha256 of the archive the folder was unpacked from. */
const ORIGIN_FILE = '.fhirgen-origin.json';
const TEMP_PREFIX = '.fhirgen-tmp-';

export interface PackageOrigin {
  sha256: string;
  source: string;
}

/** The cached folder of a package under any of its names, if a complete one is there. */
export function findCached(cache: string, id: PackageId): string | undefined {
  for (const name of equivalentNames(id)) {
    const dir = packageFolder(cache, { name, version: id.version });
    if (existsSync(path.join(dir, 'package', 'package.json'))) return dir;
  }
  return undefined;
}

export function readOrigin(dir: string): PackageOrigin | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, ORIGIN_FILE), 'utf8')) as PackageOrigin;
  } catch {
    return undefined;
  }
}

/** A fresh temporary path inside the cache, so that the final rename stays on one file system. */
export function tempPath(cache: string, suffix = ''): string {
  mkdirSync(cache, { recursive: true });
  return path.join(cache, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
}

/** An hour: no download of a FHIR package runs that long, so an older temporary entry is abandoned. */
const STALE_AFTER_MS = 3_600_000;

/**
 * Removes temporary entries that killed fhirgen runs left in the cache: those whose process is gone and
 * that are over an hour old (both, so that another machine's download into a shared cache is spared).
 */
export function removeStaleTemps(cache: string, now = Date.now()): void {
  if (!existsSync(cache)) return;
  for (const name of readdirSync(cache)) {
    const pid = Number(/^\.fhirgen-tmp-(\d+)-/.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    const entry = path.join(cache, name);
    try {
      if (now - statSync(entry).mtimeMs > STALE_AFTER_MS) rmSync(entry, { recursive: true, force: true });
    } catch {
      // Another run removed it first.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Unpacks a verified archive into the cache atomically: into a temporary folder first, checked, then
 * renamed into place, so that an interrupted run never leaves a folder that looks like a package.
 */
export async function installArchive(
  cache: string,
  wanted: PackageId | undefined,
  archive: string,
  origin: PackageOrigin,
): Promise<{ id: PackageId; dir: string; manifest: PackageManifest }> {
  const temp = tempPath(cache);
  try {
    mkdirSync(temp);
    await unpack(archive, temp, origin.source);
    const manifest = readFolderManifest(temp);
    // A local archive is filed under its own name; a download must be the package asked for.
    const id = wanted ?? { name: manifest.name, version: manifest.version };
    checkIdentity(id, manifest, origin.source);
    writeFileSync(path.join(temp, ORIGIN_FILE), `${JSON.stringify(origin, null, 2)}\n`);
    const dir = packageFolder(cache, id);
    try {
      await rename(temp, dir);
    } catch (error) {
      // Another process put the same package in place first; theirs is as good as ours.
      if (!findCached(cache, id)) throw error;
      rmSync(temp, { recursive: true, force: true });
    }
    return { id, dir, manifest };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Reads the whole archive first (a truncated or corrupt one fails here, before anything is written), then
 * writes its files. Much faster than extracting entry by entry, and only regular files are written: links
 * in a downloaded archive could point outside the cache.
 */
async function unpack(archive: string, into: string, source: string): Promise<void> {
  const files = await readTarball(archive).catch((error: unknown) => {
    if (!(error instanceof FhirgenError)) throw error;
    // Name where the archive came from: the temporary file is gone by the time anyone reads this.
    throw new FhirgenError(error.code, error.message, {
      location: source,
      hint: 'nothing was cached; fetch it again, or check the file or the registry',
      cause: error.cause,
    });
  });
  const targets: [string, Buffer][] = [];
  for (const [name, bytes] of files) {
    const target = path.resolve(into, name);
    if (!target.startsWith(`${path.resolve(into)}${path.sep}`)) {
      throw new FhirgenError(
        'CORRUPT_ARCHIVE',
        `the package archive holds a path outside its folder: ${name}`,
        {
          location: source,
          hint: 'do not use this archive; nothing was cached',
        },
      );
    }
    targets.push([target, bytes]);
  }
  for (const parent of new Set(targets.map(([target]) => path.dirname(target)))) {
    mkdirSync(parent, { recursive: true });
  }
  await writeAll(targets);
}

/**
 * Writes files a few at a time: creating thousands of small files is bound by file-system latency, which
 * concurrent requests overlap (about twice as fast as one after another on a busy disk).
 */
async function writeAll(targets: [string, Buffer][], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let item = targets[next++]; item; item = targets[next++]) await writeFile(item[0], item[1]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function checkIdentity(id: PackageId, manifest: PackageManifest, source: string): void {
  if (canonicalPackageKey(manifest) === canonicalPackageKey(id)) return;
  throw new FhirgenError(
    'REGISTRY_ERROR',
    `asked for ${id.name}@${id.version} but the archive holds ${manifest.name}@${manifest.version}`,
    { location: source, hint: 'check --registry (or FHIRGEN_REGISTRY); nothing was cached' },
  );
}

export interface CacheEntry {
  id: PackageId;
  dir: string;
  fhirVersion: string;
  /** Bytes of all files in the folder. */
  size: number;
}

/** The complete packages in the cache, sorted by name and version; temporary folders are left out. */
export function listCache(cache: string): CacheEntry[] {
  if (!existsSync(cache)) return [];
  const entries: CacheEntry[] = [];
  for (const entry of readdirSync(cache, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || !entry.name.includes('#')) continue;
    const dir = path.join(cache, entry.name);
    if (!existsSync(path.join(dir, 'package', 'package.json'))) continue;
    const hash = entry.name.indexOf('#');
    const id = { name: entry.name.slice(0, hash), version: entry.name.slice(hash + 1) };
    entries.push({ id, dir, fhirVersion: fhirVersionIn(dir), size: folderSize(dir) });
  }
  return entries.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** A listing shows every folder; one whose manifest does not parse says so instead of failing the list. */
function fhirVersionIn(dir: string): string {
  try {
    return fhirVersionOf(readFolderManifest(dir)) || '?';
  } catch {
    return 'unreadable package.json';
  }
}

function folderSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}
