import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ResourceCollector } from './collector';
import { missingManifest, parseJson, parseManifest, toLoadedPackage } from './package';
import type { LoadedPackage, PackageManifest } from './types';

/**
 * Reads an unpacked package folder, `<cache>/<name>#<version>/` with its files under `package/`.
 * Synchronous on purpose: one file after another with no promise per file is the fastest way through the
 * thousands of small files of a core package, and parsing is CPU-bound anyway.
 */
export function readPackageFolder(dir: string): LoadedPackage {
  const manifest = readFolderManifest(dir);
  const packageDir = path.join(dir, 'package');
  const collector = new ResourceCollector();
  for (const name of resourceFileNames(packageDir)) {
    const file = path.join(packageDir, name);
    collector.add(parseJson(readFileSync(file), file));
  }
  return toLoadedPackage(manifest, collector, dir);
}

/** The manifest of an unpacked package folder; MISSING_PACKAGE_JSON when there is none. */
export function readFolderManifest(dir: string): PackageManifest {
  const file = path.join(dir, 'package', 'package.json');
  if (!existsSync(file)) throw missingManifest(dir);
  return parseManifest(readFileSync(file), file);
}

/** The JSON files directly in `package/`, in a stable order, manifest and dot-files left out. */
function resourceFileNames(packageDir: string): string[] {
  return readdirSync(packageDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .filter((name) => name !== 'package.json' && !name.startsWith('.'))
    .sort();
}
