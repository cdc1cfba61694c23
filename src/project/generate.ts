/**
 * `fhirgen generate project`: plans the project's files and writes them. A new project needs an empty
 * (or missing) folder; `--update` rewrites generator-owned files of an existing project with the
 * choices recorded in its fhirgen.json; `--force` writes into a non-empty folder anyway. User-owned
 * files (services, config, package.json, README) are never overwritten; package.json only gains the
 * dependencies and scripts the generated code needs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FhirgenError } from '../errors';
import { generateDevCertificate } from '../runtime/security/dev-cert';
import { type WriteResult, writeFiles } from '../write/index';
import { mergePackageJson } from './json-files';
import { readManifest } from './manifest';
import type { ProjectChoices } from './options';
import { type ProjectPlan, planProject } from './plan';
import { DEV_KEY_FILE, type NewClient, newClient } from './security';

export interface GenerateProjectOptions {
  dir: string;
  /** Choices given on the command line; on `--update` they replace the recorded ones they name. */
  choices: Partial<ProjectChoices>;
  update: boolean;
  force: boolean;
  fhirgenVersion: string;
  /** Progress messages for people. */
  onProgress?: (message: string) => void;
}

export interface GenerateProjectResult {
  plan: ProjectPlan;
  written: WriteResult;
  /** Whether the project existed before (an update). */
  updated: boolean;
  /** The client registered in a new config: its secret is shown once and stored nowhere. */
  client?: NewClient;
}

export function generateProject(options: GenerateProjectOptions): GenerateProjectResult {
  const dir = path.resolve(options.dir);
  const progress = options.onProgress ?? (() => {});
  const recorded = options.update ? readManifest(dir) : undefined;
  if (options.update && !recorded) {
    throw new FhirgenError('INVALID_OPTION', `${dir} is not a fhirgen project (no fhirgen.json)`, {
      hint: 'generate a new project without --update, or run from the project folder',
    });
  }
  if (!options.update && !options.force && isNonEmptyDir(dir)) {
    throw new FhirgenError('TARGET_NOT_EMPTY', `${dir} is not empty`, {
      hint: 'choose a new folder, use --update to refresh an existing fhirgen project, or --force to write into it',
    });
  }
  const choices = resolveChoices(options.choices, recorded?.options, dir);
  progress(
    `planning ${choices.versions.join(', ')} with ${choices.resources ? choices.resources.join(', ') : 'every resource type'}`,
  );
  // A config file is written once: only then is there a new client whose secret the user must see.
  const client = existsSync(path.join(dir, 'fhirgen.config.json')) ? undefined : newClient();
  const certificate =
    choices.https === true && !existsSync(path.join(dir, DEV_KEY_FILE))
      ? generateDevCertificate()
      : undefined;
  const plan = planProject({
    choices,
    fhirgenVersion: options.fhirgenVersion,
    ...(client === undefined ? {} : { client: { clientId: client.clientId, secretHash: client.secretHash } }),
    ...(certificate === undefined ? {} : { certificate }),
  });
  checkResourcesKnown(plan, choices);
  const files = new Map([...plan.files].map(([relative, file]) => [relative, file.text]));
  const packageFile = path.join(dir, 'package.json');
  if (existsSync(packageFile)) {
    // The user owns package.json, but the generated code needs its dependencies: merge them in.
    files.set('package.json', mergePackageJson(readFileSync(packageFile, 'utf8'), plan.view));
  }
  progress(`writing ${files.size} files into ${dir}`);
  const written = writeFiles(dir, files, {
    isUserOwned: (relative) => relative !== 'package.json' && plan.files.get(relative)?.owner === 'user',
    managedDirs: plan.managedDirs,
  });
  return {
    plan,
    written,
    updated: recorded !== undefined,
    ...(client === undefined || !written.written.includes('fhirgen.config.json') ? {} : { client }),
  };
}

function resolveChoices(
  given: Partial<ProjectChoices>,
  recorded: ProjectChoices | undefined,
  dir: string,
): ProjectChoices {
  const base: ProjectChoices = recorded ?? {
    versions: ['dstu2', 'stu3', 'r4'],
    name: path.basename(dir),
  };
  const choices: ProjectChoices = { ...base, ...definedOnly(given) };
  if (given.resources === undefined && recorded?.resources === undefined) delete choices.resources;
  return choices;
}

function definedOnly(given: Partial<ProjectChoices>): Partial<ProjectChoices> {
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
}

/** A resource name that no chosen version defines is a typo, not something to skip silently. */
function checkResourcesKnown(plan: ProjectPlan, choices: ProjectChoices): void {
  if (!choices.resources) return;
  const served = new Set(
    plan.view.versions.flatMap((version) => version.resources.map((resource) => resource.type)),
  );
  const unknown = choices.resources.filter((type) => !served.has(type));
  if (unknown.length > 0) {
    throw new FhirgenError('INVALID_OPTION', `unknown resource type ${unknown.join(', ')} in --resources`, {
      hint: `none of ${choices.versions.join(', ')} defines it; check the spelling (resource types are PascalCase)`,
    });
  }
}

function isNonEmptyDir(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).length > 0;
}
