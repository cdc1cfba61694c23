import { FhirgenError } from '../errors';
import { readTarball } from './archive';
import type { FhirResourceJson, LoadedPackage, PackageManifest } from './types';

const MANIFEST = 'package/package.json';

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
  if (!manifestBytes) {
    throw new FhirgenError('MISSING_PACKAGE_JSON', 'not a FHIR package: package/package.json is missing', {
      location: source,
      hint: 'check that the file is a FHIR npm package (a .tgz whose files sit under package/)',
    });
  }
  const manifest = parseJson(manifestBytes, `${source}:${MANIFEST}`) as PackageManifest;
  const resources: FhirResourceJson[] = [];
  for (const [name, bytes] of files) {
    if (!isResourceFile(name)) continue;
    const json = parseJson(bytes, `${source}:${name}`);
    if (!isResource(json)) continue;
    resources.push(json);
    if (json.resourceType === 'Bundle') resources.push(...bundleEntries(json));
  }
  return {
    id: { name: manifest.name, version: manifest.version },
    manifest,
    fhirVersion: fhirVersionOf(manifest),
    resources,
    source,
  };
}

function isResourceFile(name: string): boolean {
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

function isResource(json: unknown): json is FhirResourceJson {
  return (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { resourceType?: unknown }).resourceType === 'string'
  );
}

function bundleEntries(bundle: FhirResourceJson): FhirResourceJson[] {
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as { resource?: unknown }[]) : [];
  return entries.map((entry) => entry.resource).filter(isResource);
}

/** Core packages are named after their FHIR version; IGs list it in `fhirVersions`. */
function fhirVersionOf(manifest: PackageManifest): string {
  return manifest.fhirVersions?.[0] ?? manifest['fhir-version-list']?.[0] ?? manifest.version;
}
