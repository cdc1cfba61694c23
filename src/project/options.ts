/**
 * The choices behind a generated project: which FHIR versions, which resource types, the package
 * name. They are recorded in the project's `fhirgen.json` so that `--update` reproduces them.
 */
import { CORE_VERSIONS } from '../definitions/aliases';
import { FhirgenError } from '../errors';
import type { FhirVersionId } from '../ir/types';

export interface ProjectChoices {
  /** In the order the package table lists them (DSTU2, STU3, R4). */
  versions: FhirVersionId[];
  /** Resource types to serve; absent means every resource type of each version. */
  resources?: string[];
  /** The npm package name of the project. */
  name: string;
  /** Generated with `--https`: a development certificate pair and a config that uses it. */
  https?: boolean;
  /** Generated with `--docker`: a Dockerfile and a docker-compose.yml with PostgreSQL, Redis, two instances and nginx. */
  docker?: boolean;
}

/** Versions in the package table's order (DSTU2, STU3, R4), so that recorded choices are stable. */
export function inTableOrder(versions: FhirVersionId[]): FhirVersionId[] {
  return CORE_VERSIONS.map((entry) => entry.id).filter((id) => versions.includes(id));
}

/** `Patient,Observation` to a sorted, de-duplicated list; names are checked against each version later. */
export function parseResourceList(list: string): string[] {
  const names = [
    ...new Set(
      list
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  ];
  const bad = names.filter((name) => !/^[A-Z][A-Za-z0-9]*$/.test(name));
  if (bad.length > 0 || names.length === 0) {
    throw new FhirgenError('INVALID_OPTION', `--resources takes resource type names, got "${list}"`, {
      hint: 'for example --resources Patient,Observation',
    });
  }
  return names.sort();
}

/** An npm package name derived from the folder name (https://docs.npmjs.com/cli/configuring-npm/package-json#name). */
export function defaultPackageName(folderName: string): string {
  const name = folderName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return name === '' ? 'fhir-server' : name.slice(0, 214);
}

export function checkPackageName(name: string): string {
  if (!/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(name) || name.length > 214) {
    throw new FhirgenError('INVALID_OPTION', `"${name}" is not a valid npm package name`, {
      hint: 'use lower-case letters, digits, "-", "." or "_", for example --name my-fhir-server',
    });
  }
  return name;
}
