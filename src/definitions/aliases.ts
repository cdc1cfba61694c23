import table from '../../definitions/packages.json';
import { FhirgenError } from '../errors';
import type { PackageId } from './types';

/** The FHIR versions fhirgen generates for; the same ids as the IR's `FhirVersionId`. */
export type CoreVersionId = 'dstu2' | 'stu3' | 'r4';

export interface CoreVersion {
  id: CoreVersionId;
  aliases: string[];
  fhirVersion: string;
  package: PackageId;
  /** Other registry names of the same content (`hl7.fhir.r2.core` for `hl7.fhir.core@1.0.2`). */
  alternateNames: string[];
  examples: PackageId;
  label: string;
}

/** The alias table of `definitions/packages.json`, kept as data. */
export const CORE_VERSIONS: readonly CoreVersion[] = table.versions as CoreVersion[];

/**
 * A package name and version as the npm package spec writes it (`name@version`, see
 * https://confluence.hl7.org/display/FHIR/NPM+Package+Specification): lower-case dotted name, a version
 * without spaces or slashes.
 */
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]*$/;

/** Turns `r4`, `stu3`, `hl7.fhir.us.core@3.1.0` (or `name#version`, the cache's spelling) into a package id. */
export function parsePackageSpec(spec: string): PackageId {
  const text = spec.trim();
  const alias = CORE_VERSIONS.find((version) => version.aliases.includes(text.toLowerCase()));
  if (alias) return { ...alias.package };
  const separator = text.search(/[@#]/);
  if (separator < 0) {
    const known = CORE_VERSIONS.flatMap((version) => version.aliases).join(', ');
    throw new FhirgenError('UNKNOWN_ALIAS', `unknown FHIR version alias "${text}"`, {
      location: text,
      hint: `use one of ${known}, or name@version such as hl7.fhir.us.core@3.1.0`,
    });
  }
  const id = { name: text.slice(0, separator), version: text.slice(separator + 1) };
  if (!isValidPackageId(id)) {
    throw new FhirgenError('BAD_PACKAGE_SPEC', `"${text}" is not a package spec`, {
      location: text,
      hint: 'write name@version, such as hl7.fhir.us.core@3.1.0, or an alias such as r4',
    });
  }
  return id;
}

/** Names and versions become cache folder names: nothing that could leave the cache folder. */
export function isValidPackageId(id: PackageId): boolean {
  return NAME.test(id.name) && VERSION.test(id.version) && !id.name.includes('..');
}

/**
 * Every registry name under which this package's content is published: the DSTU2 and STU3 cores are
 * `hl7.fhir.core` and also `hl7.fhir.r2.core` / `hl7.fhir.r3.core`. The asked-for name comes first.
 */
export function equivalentNames(id: PackageId): string[] {
  const core = CORE_VERSIONS.find(
    (version) =>
      version.package.version === id.version &&
      (version.package.name === id.name || version.alternateNames.includes(id.name)),
  );
  if (!core) return [id.name];
  return [id.name, ...[core.package.name, ...core.alternateNames].filter((name) => name !== id.name)];
}

/** One key per package content, whichever of its names was used: `hl7.fhir.core@1.0.2`. */
export function canonicalPackageKey(id: PackageId): string {
  const core = CORE_VERSIONS.find(
    (version) => version.package.version === id.version && version.alternateNames.includes(id.name),
  );
  return `${core ? core.package.name : id.name}@${id.version}`;
}

/** `4.0.x` -> r4, `3.0.x` -> stu3, `1.0.x` -> dstu2 (the technical versions of http://hl7.org/fhir/directory.html). */
export function fhirVersionId(fhirVersion: string): CoreVersionId {
  const minor = fhirVersion.split('.').slice(0, 2).join('.');
  const core = CORE_VERSIONS.find(
    (version) => version.fhirVersion.split('.').slice(0, 2).join('.') === minor,
  );
  if (!core || !/^\d+\.\d+\.\d+/.test(fhirVersion)) {
    throw new FhirgenError('UNKNOWN_FHIR_VERSION', `FHIR version "${fhirVersion}" is not supported`, {
      location: fhirVersion,
      hint: 'fhirgen supports DSTU2 (1.0.x), STU3 (3.0.x) and R4 (4.0.x)',
    });
  }
  return core.id;
}
