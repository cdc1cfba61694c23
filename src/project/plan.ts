/**
 * The file plan of a generated project: every file with its text and its owner. Pure apart from
 * reading fhirgen's own runtime and committed models (through `sources.ts`); the writer does the
 * writing. Generator-owned files are rewritten by `--update`; user-owned files are created once.
 */

import { renderTemplate } from '../emit/server/templates';
import type { VersionFacts } from '../emit/server/version-data';
import {
  GENERATED_HEADER,
  type ProjectView,
  projectViewModel,
  type VersionView,
} from '../emit/server/view-model';
import { FhirgenError } from '../errors';
import type { FhirVersionId } from '../ir/types';
import { defaultConfig, packageJson, tsconfigJson } from './json-files';
import { MANIFEST_FILE, type ProjectManifest, renderManifest } from './manifest';
import type { ProjectChoices } from './options';
import { DEFAULT_CLIENT_ID, DEV_CERT_FILE, DEV_KEY_FILE, type NewClient } from './security';
import { readJsonSource, readModelSources, readProjectScripts, readRuntimeSources } from './sources';

export type Owner = 'generator' | 'user';

export interface PlannedFile {
  text: string;
  owner: Owner;
}

export interface ProjectPlan {
  files: Map<string, PlannedFile>;
  manifest: ProjectManifest;
  /** Folders that hold generator-owned files only (stale files there are removed on update). */
  managedDirs: string[];
  view: ProjectView;
}

export interface PlanInputs {
  choices: ProjectChoices;
  fhirgenVersion: string;
  /** Sources, injectable for tests; default: fhirgen's own `src/runtime` and `generated/`. */
  runtime?: Map<string, string>;
  models?: (version: FhirVersionId) => Map<string, string>;
  /** The new project's client (its secret hashed) and, with `--https`, its development certificate. */
  client?: Omit<NewClient, 'secret'>;
  certificate?: { keyPem: string; certPem: string };
}

/** What `--docker` writes, and from which template. */
export const DOCKER_FILES: readonly [string, string][] = [
  ['Dockerfile', 'Dockerfile'],
  ['.dockerignore', 'dockerignore'],
  ['docker-compose.yml', 'docker-compose.yml'],
  ['nginx.conf', 'nginx.conf'],
];

export function planProject(inputs: PlanInputs): ProjectPlan {
  const { choices } = inputs;
  const files = new Map<string, PlannedFile>();
  const generator = (relative: string, text: string) => files.set(relative, { text, owner: 'generator' });
  const user = (relative: string, text: string) => files.set(relative, { text, owner: 'user' });

  for (const [relative, text] of inputs.runtime ?? readRuntimeSources()) {
    generator(`src/runtime/${relative}`, withHeader(relative, text));
  }
  const versions: VersionView[] = [];
  const packages: ProjectManifest['packages'] = {};
  for (const version of choices.versions) {
    const models = inputs.models ? inputs.models(version) : readModelSources(version);
    const facts = readJsonSource<VersionFacts>(models, 'server/version.json', version);
    const resources = pickResources(facts, choices.resources);
    versions.push({ facts, resources });
    packages[version] = facts.packages.join(', ');
    for (const [relative, text] of models)
      generator(`src/fhir/${version}/${relative}`, withHeader(relative, text));
  }
  const view = projectViewModel(choices, versions, inputs.fhirgenVersion);
  for (const version of view.versions) {
    generator(
      `src/fhir/${version.id}/binding.ts`,
      renderTemplate('binding.ts', { ...version, header: view.header }),
    );
    generator(
      `src/fhir/${version.id}/services.ts`,
      renderTemplate('services.ts', { ...version, header: view.header }),
    );
    generator(
      `src/services/${version.id}/index.ts`,
      renderTemplate('services-index.ts', { ...version, header: view.header }),
    );
    for (const resource of version.resources) {
      user(
        `src/services/${version.id}/${resource.fileName}`,
        renderTemplate('service.ts', { ...resource, version }),
      );
    }
  }
  generator('src/fhir/versions.ts', renderTemplate('versions.ts', view));
  generator('src/server.ts', renderTemplate('server.ts', view));
  for (const [relative, text] of readProjectScripts()) generator(`scripts/${relative}`, text);
  const https = choices.https === true;
  const docs = {
    ...view,
    https,
    docker: choices.docker === true,
    clientId: inputs.client?.clientId ?? DEFAULT_CLIENT_ID,
  };
  generator('test/smoke.test.ts', renderTemplate('smoke.test.ts', docs));
  generator(
    '.mocharc.json',
    `${JSON.stringify({ require: ['tsx/cjs'], extension: ['ts'], spec: ['test/**/*.test.ts'], timeout: 20000 }, null, 2)}\n`,
  );
  generator('tsconfig.json', tsconfigJson());
  user('package.json', packageJson(view));
  user(
    'fhirgen.config.json',
    defaultConfig(view, { https, ...(inputs.client === undefined ? {} : { client: inputs.client }) }),
  );
  user('README.md', renderTemplate('README.md', docs));
  if (inputs.certificate !== undefined) {
    user(DEV_KEY_FILE, inputs.certificate.keyPem);
    user(DEV_CERT_FILE, inputs.certificate.certPem);
  }
  user('.gitignore', renderTemplate('gitignore', view));
  if (choices.docker === true) {
    // Deployment files are the user's to adapt (images, addresses, secrets): created once.
    for (const [file, template] of DOCKER_FILES) user(file, renderTemplate(template, view));
  }

  const manifest: ProjectManifest = {
    fhirgenVersion: inputs.fhirgenVersion,
    packages,
    options: choices,
    generatorOwned: [
      'src/runtime/',
      'src/fhir/',
      'src/server.ts',
      'src/services/*/index.ts',
      'scripts/',
      'test/smoke.test.ts',
      'tsconfig.json',
      '.mocharc.json',
      MANIFEST_FILE,
    ],
    userOwned: [
      'src/services/*/*.service.ts',
      'fhirgen.config.json',
      'package.json',
      'README.md',
      '.gitignore',
      ...(choices.docker === true ? DOCKER_FILES.map(([file]) => file) : []),
    ],
  };
  generator(MANIFEST_FILE, renderManifest(manifest));
  const managedDirs = ['src/runtime', ...choices.versions.map((version) => `src/fhir/${version}`)];
  return { files, manifest, managedDirs, view };
}

/** Resource types to serve: all of the version's, or the chosen ones that the version defines. */
function pickResources(facts: VersionFacts, chosen: string[] | undefined): string[] {
  if (!chosen) return facts.resourceTypes;
  const unknown = chosen.filter((name) => !facts.resourceTypes.includes(name));
  if (unknown.length === chosen.length) {
    throw new FhirgenError(
      'INVALID_OPTION',
      `${facts.label} defines none of --resources ${chosen.join(',')}`,
      {
        hint: `${facts.label} resource types include ${facts.resourceTypes.slice(0, 8).join(', ')} ...`,
      },
    );
  }
  return chosen.filter((name) => facts.resourceTypes.includes(name));
}

/** Generated TypeScript says so at its top; JSON cannot carry a comment (fhirgen.json lists it instead). */
function withHeader(relative: string, text: string): string {
  if (!relative.endsWith('.ts') || text.startsWith(GENERATED_HEADER)) return text;
  return `${GENERATED_HEADER}\n${text}`;
}
