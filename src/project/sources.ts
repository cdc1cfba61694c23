/**
 * What a generated project copies from fhirgen itself: the runtime (real, tested TypeScript from
 * `src/runtime/`) and the committed models of each version (`generated/<version>/`). Reading them is
 * the only disk access of the project plan; the writer does the writing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FhirgenError } from '../errors';
import type { FhirVersionId } from '../ir/types';

/** The root of the fhirgen package (where `src/`, `generated/` and `templates/` are). */
export const FHIRGEN_ROOT = path.resolve(__dirname, '..', '..');

const IMPORT = /(?:from|import)\s*\(?\s*'([^']+)'/g;

/**
 * The runtime files a project needs, keyed by their path below `src/runtime/`. Files that import
 * from outside the runtime folder (generator-side helpers that read the IR) stay behind.
 */
export function readRuntimeSources(root = FHIRGEN_ROOT): Map<string, string> {
  const runtimeDir = path.join(root, 'src', 'runtime');
  const files = new Map<string, string>();
  for (const relative of listFiles(runtimeDir)) {
    if (!relative.endsWith('.ts')) continue;
    const text = readFileSync(path.join(runtimeDir, relative), 'utf8');
    if (importsStayInside(text, relative)) files.set(relative, text);
  }
  return files;
}

function importsStayInside(text: string, relative: string): boolean {
  const depth = relative.split('/').length - 1;
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? '';
    if (!specifier.startsWith('.')) continue;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relative), specifier));
    if (resolved.startsWith('..') || depth < 0) return false;
  }
  return true;
}

/** The project's `scripts/` (build and start), plain CommonJS that runs before anything is compiled. */
export function readProjectScripts(root = FHIRGEN_ROOT): Map<string, string> {
  const dir = path.join(root, 'src', 'project', 'scripts');
  return new Map(
    listFiles(dir).map((relative) => [relative, readFileSync(path.join(dir, relative), 'utf8')]),
  );
}

/** Every file of `generated/<version>/`, keyed by its path below that folder. */
export function readModelSources(version: FhirVersionId, root = FHIRGEN_ROOT): Map<string, string> {
  const dir = path.join(root, 'generated', version);
  if (!existsSync(dir)) {
    throw new FhirgenError('UNREADABLE_INPUT', `the generated ${version} models are missing`, {
      location: dir,
      hint: `run "fhirgen generate models --fhir ${version}" in the fhirgen checkout, or reinstall fhirgen`,
    });
  }
  const files = new Map<string, string>();
  for (const relative of listFiles(dir)) files.set(relative, readFileSync(path.join(dir, relative), 'utf8'));
  return files;
}

/** The generated facts of a version (`server/version.json`), parsed. */
export function readJsonSource<T>(files: Map<string, string>, relative: string, version: string): T {
  const text = files.get(relative);
  if (text === undefined) {
    throw new FhirgenError('UNREADABLE_INPUT', `generated/${version}/${relative} is missing`, {
      hint: `run "fhirgen generate models --fhir ${version}" in the fhirgen checkout`,
    });
  }
  return JSON.parse(text) as T;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}
