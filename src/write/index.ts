/**
 * The only code that writes generated files to disk. Emitters hand it a Map of relative path -> text;
 * it skips files whose content is already current, never overwrites files the user owns, and in check
 * mode compares instead of writing (CI's proof that committed output is current).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FhirgenError } from '../errors';

export interface WriteOptions {
  /**
   * Files the user owns (service stubs, configuration they edit): created when missing, never
   * overwritten, never reported stale. Paths are relative, with `/` separators.
   */
  isUserOwned?: (relativePath: string) => boolean;
  /**
   * Folders (relative) that hold nothing but generated files: files found there that are not in the
   * map are extra. `writeFiles` deletes them; `checkFiles` reports them.
   */
  managedDirs?: string[];
}

export interface WriteResult {
  /** Files created or whose content changed. */
  written: string[];
  unchanged: string[];
  /** User-owned files that already existed and were left as they are. */
  keptUserOwned: string[];
  /** Extra files removed from managed folders. */
  removed: string[];
}

export interface CheckResult {
  /** Files on disk whose content differs from what would be generated. */
  stale: string[];
  missing: string[];
  /** Files in managed folders that would not be generated. */
  extra: string[];
  /** True when nothing is stale, missing or extra. */
  upToDate: boolean;
}

/** Writes `files` under `root`, skipping unchanged files and existing user-owned ones. */
export function writeFiles(
  root: string,
  files: Map<string, string>,
  options: WriteOptions = {},
): WriteResult {
  const result: WriteResult = { written: [], unchanged: [], keptUserOwned: [], removed: [] };
  for (const [relative, text] of sortedEntries(files)) {
    const target = resolveInside(root, relative);
    const current = readIfExists(target);
    if (current !== undefined && options.isUserOwned?.(relative)) {
      result.keptUserOwned.push(relative);
    } else if (current === text) {
      result.unchanged.push(relative);
    } else {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFile(target, text);
      result.written.push(relative);
    }
  }
  for (const relative of extraFiles(root, files, options)) {
    rmSync(resolveInside(root, relative));
    result.removed.push(relative);
  }
  return result;
}

/** Compares `files` with what is under `root`, writing nothing. */
export function checkFiles(
  root: string,
  files: Map<string, string>,
  options: WriteOptions = {},
): CheckResult {
  const result: CheckResult = { stale: [], missing: [], extra: [], upToDate: true };
  for (const [relative, text] of sortedEntries(files)) {
    const current = readIfExists(resolveInside(root, relative));
    if (current === undefined) result.missing.push(relative);
    else if (current !== text && !options.isUserOwned?.(relative)) result.stale.push(relative);
  }
  result.extra = extraFiles(root, files, options);
  result.upToDate = result.stale.length + result.missing.length + result.extra.length === 0;
  return result;
}

function sortedEntries(files: Map<string, string>): [string, string][] {
  return [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Files under the managed folders that are not in `files` and not user-owned, sorted. */
function extraFiles(root: string, files: Map<string, string>, options: WriteOptions): string[] {
  const extra: string[] = [];
  for (const dir of options.managedDirs ?? []) {
    for (const relative of listFiles(root, dir)) {
      if (!files.has(relative) && !options.isUserOwned?.(relative)) extra.push(relative);
    }
  }
  return extra.sort();
}

/** Every file below `root/dir`, as root-relative paths with `/` separators. */
function listFiles(root: string, dir: string): string[] {
  const absolute = resolveInside(root, dir);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) return [];
  return readdirSync(absolute, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** A relative path that stays inside `root`; anything else is a bug in an emitter. */
function resolveInside(root: string, relative: string): string {
  const target = path.resolve(root, relative);
  const base = path.resolve(root);
  if (path.isAbsolute(relative) || (target !== base && !target.startsWith(base + path.sep))) {
    throw new FhirgenError('INTERNAL', `refusing to write outside the output folder: ${relative}`, {
      location: base,
    });
  }
  return target;
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadable(file, error);
  }
}

function writeFile(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw unreadable(file, error);
  }
}

function unreadable(file: string, cause: unknown): FhirgenError {
  return new FhirgenError('UNREADABLE_INPUT', `cannot read or write ${file}: ${(cause as Error).message}`, {
    location: file,
    hint: 'check the permissions of the output folder',
    cause,
  });
}
