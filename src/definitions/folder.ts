import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type FileSummary, ResourceCollector } from './collector';
import { buildFolderIndex, type FolderIndex, readFolderIndex, writeFolderIndex } from './folder-index';
import { missingManifest, parseJson, parseManifest, toLoadedPackage } from './package';
import type { LoadedPackage, PackageManifest } from './types';

export interface FolderReadOptions {
  /** Only resources of these types (`StructureDefinition`, `ValueSet` ...); all when absent. */
  resourceTypes?: readonly string[];
}

/**
 * Reads an unpacked package folder, `<cache>/<name>#<version>/` with its files under `package/`.
 * Synchronous on purpose: one file after another with no promise per file is the fastest way through the
 * thousands of small files of a core package, and parsing is CPU-bound anyway. The first read indexes
 * the folder; later reads use the index to skip files of other types and Bundles that only repeat files.
 */
export function readPackageFolder(dir: string, options: FolderReadOptions = {}): LoadedPackage {
  const manifest = readFolderManifest(dir);
  const packageDir = path.join(dir, 'package');
  const names = resourceFileNames(packageDir);
  const wanted = options.resourceTypes ? new Set(options.resourceTypes) : undefined;
  const index = readFolderIndex(dir, names);
  const collector = new ResourceCollector();
  if (index) {
    for (const name of filesToRead(index, wanted)) collector.add(readJson(packageDir, name));
  } else {
    const summaries = new Map<string, FileSummary | undefined>();
    for (const name of names) summaries.set(name, collector.add(readJson(packageDir, name)));
    writeFolderIndex(dir, buildFolderIndex(summaries, standaloneKeys(summaries)));
  }
  return toLoadedPackage(manifest, collector.finish(wanted), dir);
}

/** The manifest of an unpacked package folder; MISSING_PACKAGE_JSON when there is none. */
export function readFolderManifest(dir: string): PackageManifest {
  const file = path.join(dir, 'package', 'package.json');
  if (!existsSync(file)) throw missingManifest(dir);
  return parseManifest(readFileSync(file), file);
}

function readJson(packageDir: string, name: string): unknown {
  const file = path.join(packageDir, name);
  return parseJson(readFileSync(file), file);
}

function filesToRead(index: FolderIndex, wanted: ReadonlySet<string> | undefined): string[] {
  return index.files
    .filter((file) => file.resourceType !== '' && !file.redundant)
    .filter((file) => !wanted || (file.entryTypes ?? [file.resourceType]).some((type) => wanted.has(type)))
    .map((file) => file.name);
}

function standaloneKeys(summaries: Map<string, FileSummary | undefined>): Set<string> {
  const keys = new Set<string>();
  for (const summary of summaries.values()) if (summary?.key) keys.add(summary.key);
  return keys;
}

/** The JSON files directly in `package/`, in a stable order, manifest and dot-files left out. */
function resourceFileNames(packageDir: string): string[] {
  return readdirSync(packageDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .filter((name) => name !== 'package.json' && !name.startsWith('.'))
    .sort();
}
