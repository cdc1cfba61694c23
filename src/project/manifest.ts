/**
 * `fhirgen.json`: what was generated into a project, from which packages and with which options, so
 * that `fhirgen generate project . --update` reproduces the same choices after an upgrade.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FhirgenError } from '../errors';
import type { FhirVersionId } from '../ir/types';
import type { ProjectChoices } from './options';

export const MANIFEST_FILE = 'fhirgen.json';

export interface ProjectManifest {
  /** The fhirgen version that last generated the project. */
  fhirgenVersion: string;
  /** The FHIR packages the generated code comes from, as `name@version`, per version. */
  packages: Partial<Record<FhirVersionId, string>>;
  options: ProjectChoices;
  /** Folders and files fhirgen owns and rewrites on `--update`; everything else is the user's. */
  generatorOwned: string[];
  /** Files fhirgen created once and never overwrites. */
  userOwned: string[];
}

export function readManifest(dir: string): ProjectManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new FhirgenError('INVALID_JSON', `${MANIFEST_FILE} does not parse: ${(cause as Error).message}`, {
      location: file,
      hint: 'fix the file, or regenerate with --force',
      cause,
    });
  }
  const manifest = parsed as Partial<ProjectManifest>;
  const options = manifest.options;
  if (!options || !Array.isArray(options.versions) || typeof options.name !== 'string') {
    throw new FhirgenError('INVALID_OPTION', `${MANIFEST_FILE} does not record the project's options`, {
      location: file,
      hint: 'regenerate with --force and the options you want (--fhir, --resources, --name)',
    });
  }
  return manifest as ProjectManifest;
}

export function renderManifest(manifest: ProjectManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
