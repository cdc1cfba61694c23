import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FileSummary } from './collector';

/**
 * fhirgen's index of an unpacked package folder, `<name>#<version>/.fhirgen-index.json`: the resource type
 * of each file of `package/`, and which definitions Bundles only repeat standalone files (as in the DSTU2
 * and STU3 cores). It lets later reads skip what they do not need without parsing it. Kept apart from
 * the NPM package `.index.json`, which other tools own.
 */
export interface FolderIndex {
  format: 1;
  files: IndexedFile[];
}

export interface IndexedFile {
  name: string;
  resourceType: string;
  /** Entry types of a definitions Bundle. */
  entryTypes?: string[];
  /** A definitions Bundle whose every entry is also a file of the package. */
  redundant?: boolean;
}

const INDEX_FILE = '.fhirgen-index.json';

/** The index of `dir`, if there is one and it lists exactly `names` (the JSON files of `package/`). */
export function readFolderIndex(dir: string, names: readonly string[]): FolderIndex | undefined {
  try {
    const index = JSON.parse(readFileSync(path.join(dir, INDEX_FILE), 'utf8')) as FolderIndex;
    if (index.format !== 1 || !Array.isArray(index.files)) return undefined;
    const listed = new Set(index.files.map((file) => file.name));
    return listed.size === names.length && names.every((name) => listed.has(name)) ? index : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the index from what each file held (undefined: not a resource) and the identities seen. */
export function buildFolderIndex(
  summaries: Map<string, FileSummary | undefined>,
  standalone: Set<string>,
): FolderIndex {
  const files: IndexedFile[] = [];
  for (const [name, summary] of summaries) {
    if (!summary) {
      files.push({ name, resourceType: '' });
    } else if (summary.entries) {
      const redundant = summary.entries.keys.every((key) => key !== '' && standalone.has(key));
      files.push({ name, resourceType: summary.resourceType, entryTypes: summary.entries.types, redundant });
    } else {
      files.push({ name, resourceType: summary.resourceType });
    }
  }
  return { format: 1, files };
}

/** Writes the index atomically; a read-only cache simply goes without one. */
export function writeFolderIndex(dir: string, index: FolderIndex): void {
  const temp = path.join(dir, `${INDEX_FILE}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, JSON.stringify(index));
    renameSync(temp, path.join(dir, INDEX_FILE));
  } catch {
    rmSync(temp, { force: true });
  }
}
