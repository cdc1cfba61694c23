import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { FhirgenError } from '../errors';
import { ResourceCollector } from './collector';
import { readPackageFolder } from './folder';
import { digestFile, isSha256Hex, verifyDigests } from './integrity';
import { MANIFEST, parseJson, parsePackageFiles, readPackageArchive, toLoadedPackage } from './package';
import type { FhirResourceJson, LoadedPackage, PackageManifest } from './types';

export interface LocalOptions {
  /** Expected sha256 (hex) of the file; not possible for a folder. */
  sha256?: string;
}

/**
 * Reads `--definitions <path>`: a package `.tgz`, a `.zip` of JSON files (HL7's `definitions.json.zip`),
 * a folder (an unpacked package, or JSON files), or a JSON file holding a Bundle or one resource.
 */
export async function loadLocalDefinitions(
  source: string,
  options: LocalOptions = {},
): Promise<LoadedPackage> {
  const file = path.resolve(source);
  if (!existsSync(file)) {
    throw new FhirgenError('UNREADABLE_INPUT', 'the definitions path does not exist', {
      location: file,
      hint: 'give a package .tgz, a .zip or folder of JSON files, or a Bundle JSON file',
    });
  }
  if (statSync(file).isDirectory()) {
    if (options.sha256 !== undefined) {
      throw new FhirgenError('INVALID_OPTION', '--sha256 checks a file, not a folder', { location: file });
    }
    return readFolder(file);
  }
  await checkSha256(file, options.sha256);
  const lower = file.toLowerCase();
  if (lower.endsWith('.tgz') || lower.endsWith('.tar.gz')) return readPackageArchive(file);
  if (lower.endsWith('.zip')) return readZip(file);
  if (lower.endsWith('.json')) return fromResources(file, [parseJson(readFileSync(file), file)]);
  throw new FhirgenError('UNSUPPORTED_SOURCE', 'fhirgen cannot read this kind of definitions file', {
    location: file,
    hint: 'give a package .tgz, a .zip or folder of JSON files, or a Bundle JSON file',
  });
}

async function checkSha256(file: string, sha256: string | undefined): Promise<void> {
  if (sha256 === undefined) return;
  if (!isSha256Hex(sha256)) {
    throw new FhirgenError('INVALID_OPTION', '--sha256 takes 64 hexadecimal characters', {
      location: sha256,
    });
  }
  verifyDigests(
    await digestFile(file),
    { sha256 },
    { location: file, hint: 'check that this is the file you meant to use', code: 'FILE_CHECKSUM_MISMATCH' },
  );
}

function readFolder(dir: string): LoadedPackage {
  if (existsSync(path.join(dir, MANIFEST))) return readPackageFolder(dir);
  const names = readdirSync(dir)
    .filter((name) => name.toLowerCase().endsWith('.json') && !name.startsWith('.'))
    .sort();
  return fromResources(
    dir,
    names.map((name) => parseJson(readFileSync(path.join(dir, name)), path.join(dir, name))),
  );
}

function readZip(file: string): LoadedPackage {
  let entries: AdmZip.IZipEntry[];
  try {
    entries = new AdmZip(file).getEntries().filter((entry) => !entry.isDirectory);
  } catch (cause) {
    throw new FhirgenError(
      'CORRUPT_ARCHIVE',
      `the zip archive is corrupt or truncated: ${(cause as Error).message}`,
      {
        location: file,
        hint: 'check the file, or download it again',
        cause,
      },
    );
  }
  const files = new Map(entries.map((entry) => [entry.entryName.replace(/\\/g, '/'), entry] as const));
  if (files.has(MANIFEST)) {
    return parsePackageFiles(new Map([...files].map(([name, entry]) => [name, entry.getData()])), file);
  }
  const jsonNames = [...files.keys()].filter((name) => name.toLowerCase().endsWith('.json')).sort();
  return fromResources(
    file,
    jsonNames.map((name) => parseJson(files.get(name)?.getData() ?? '', `${file}:${name}`)),
  );
}

/** Loose JSON files have no manifest: one is made up, with the FHIR version the resources declare. */
function fromResources(source: string, documents: unknown[]): LoadedPackage {
  const collector = new ResourceCollector(true);
  for (const document of documents) collector.add(document);
  const resources = collector.finish();
  const manifest: PackageManifest = {
    name: path.basename(source),
    version: 'local',
    fhirVersions: [declaredFhirVersion(resources, source)],
  };
  return toLoadedPackage(manifest, resources, source);
}

/**
 * StructureDefinition, CapabilityStatement (Conformance in DSTU2) and ImplementationGuide carry
 * `fhirVersion`; the most common value wins.
 */
function declaredFhirVersion(resources: FhirResourceJson[], source: string): string {
  const counts = new Map<string, number>();
  for (const resource of resources) {
    const declared = [resource.fhirVersion].flat()[0];
    if (typeof declared === 'string') counts.set(declared, (counts.get(declared) ?? 0) + 1);
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  if (!best) {
    throw new FhirgenError(
      'UNKNOWN_FHIR_VERSION',
      'no resource in the definitions says which FHIR version it is for',
      {
        location: source,
        hint: 'include the StructureDefinitions (they carry fhirVersion), or use a FHIR package .tgz',
      },
    );
  }
  return best[0];
}
