import { FhirgenError } from '../errors';
import { readTarball } from './archive';
import { ResourceCollector } from './collector';
import type { FhirResourceJson, LoadedPackage, PackageManifest } from './types';

export const MANIFEST = 'package/package.json';

/** Reads a FHIR package `.tgz` (files under `package/`) into memory. */
export async function readPackageArchive(file: string): Promise<LoadedPackage> {
  return parsePackageFiles(await readTarball(file), file);
}

/**
 * Turns the files of a FHIR package into a LoadedPackage: the manifest and every JSON resource directly
 * under `package/`, with the entries of definition Bundles (DSTU2's `Bundle-searchParams.json`) unpacked.
 */
export function parsePackageFiles(files: Map<string, Buffer>, source: string): LoadedPackage {
  const manifestBytes = files.get(MANIFEST);
  if (!manifestBytes) throw missingManifest(source);
  const manifest = parseManifest(manifestBytes, `${source}:${MANIFEST}`);
  const collector = new ResourceCollector();
  for (const [name, bytes] of files) {
    if (isResourceFile(name)) collector.add(parseJson(bytes, `${source}:${name}`));
  }
  return toLoadedPackage(manifest, collector.finish(), source);
}

export function toLoadedPackage(
  manifest: PackageManifest,
  resources: FhirResourceJson[],
  source: string,
): LoadedPackage {
  return {
    id: { name: manifest.name, version: manifest.version },
    manifest,
    fhirVersion: fhirVersionOf(manifest),
    resources,
    source,
  };
}

/**
 * Resources of a package are the JSON files directly in `package/` (NPM Package Specification,
 * https://confluence.hl7.org/display/FHIR/NPM+Package+Specification); sub-folders hold other material.
 */
export function isResourceFile(name: string): boolean {
  if (!name.startsWith('package/') || !name.endsWith('.json')) return false;
  const rest = name.slice('package/'.length);
  return !rest.includes('/') && rest !== 'package.json' && !rest.startsWith('.');
}

export function parseJson(bytes: Buffer | string, location: string): unknown {
  try {
    return JSON.parse(bytes.toString());
  } catch (cause) {
    throw new FhirgenError('INVALID_JSON', `a JSON file does not parse: ${(cause as Error).message}`, {
      location,
      hint: 'fix or remove the file, or fetch the package again',
      cause,
    });
  }
}

/** Parses `package/package.json` and checks the two fields every package must have. */
export function parseManifest(bytes: Buffer | string, location: string): PackageManifest {
  const json = parseJson(bytes, location) as Partial<PackageManifest> | null;
  if (typeof json?.name !== 'string' || typeof json.version !== 'string') {
    throw new FhirgenError('MISSING_PACKAGE_JSON', 'package.json has no name or version', {
      location,
      hint: 'check that the file is a FHIR npm package',
    });
  }
  return json as PackageManifest;
}

export function missingManifest(source: string): FhirgenError {
  return new FhirgenError('MISSING_PACKAGE_JSON', 'not a FHIR package: package/package.json is missing', {
    location: source,
    hint: 'check that the file is a FHIR npm package (a .tgz whose files sit under package/)',
  });
}

const CORE_NAME = /^hl7\.fhir\.(r\d+\.)?core$/;

/**
 * The FHIR version a package is for: IGs list it in `fhirVersions` (older tools wrote
 * `fhir-version-list`); core packages are versioned as their FHIR version; failing both, the version of
 * the core package it depends on. Empty when nothing says.
 */
export function fhirVersionOf(manifest: PackageManifest): string {
  const listed = manifest.fhirVersions?.[0] ?? manifest['fhir-version-list']?.[0];
  if (listed) return listed;
  if (CORE_NAME.test(manifest.name)) return manifest.version;
  const core = Object.entries(manifest.dependencies ?? {}).find(([name]) => CORE_NAME.test(name));
  return core?.[1] ?? '';
}
