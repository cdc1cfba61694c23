/**
 * `generate models`: for each FHIR version, packages -> IR -> class and schema emitters -> writer.
 * Each stage is timed and announced through `onStage`, so the CLI can print progress and a slow stage
 * shows up without a profiler.
 */
import { CORE_VERSIONS, type FetchOptions, fetchPackages, type LoadedPackage } from '../definitions/index';
import { emitClasses } from '../emit/classes/index';
import { emitInvariants } from '../emit/invariants/index';
import { emitSchemas } from '../emit/schemas/index';
import { emitServerData } from '../emit/server/version-data';
import { FhirgenError } from '../errors';
import { buildModel, type FhirModel, type FhirVersionId } from '../ir/index';
import { type CheckResult, checkFiles, type WriteResult, writeFiles } from '../write/index';

export type Stage = 'load' | 'ir' | 'classes' | 'schemas' | 'server' | 'invariants' | 'write' | 'check';

export interface StageEvent {
  version: FhirVersionId;
  stage: Stage;
  ms: number;
  /** What the stage produced, for people: `669 files`, `12 written, 657 unchanged`. */
  detail: string;
}

export interface GenerateModelsOptions {
  versions: FhirVersionId[];
  /** The output root (`generated`); each version goes to `<outDir>/<version>/`. */
  outDir: string;
  /** Compare with what is on disk instead of writing. */
  check: boolean;
  fetch: FetchOptions;
  onStage?: (event: StageEvent) => void;
}

export interface GenerateModelsResult {
  stages: StageEvent[];
  /** Per version, with paths relative to `outDir`; absent in check mode. */
  written?: WriteResult;
  /** Present in check mode, with paths relative to `outDir`. */
  check?: CheckResult;
}

/** The folders of `generated/<version>/` that hold only generated files (extra files there are stale). */
export const MANAGED_FOLDERS = ['classes', 'invariants', 'runtime', 'schemas', 'server'];

type Timer = <T>(stage: Stage, run: () => T, detail: (value: T) => string) => T;

/** Every file of one version's `generated/<version>/` folder: classes and their runtime, schemas, server data. */
export function emitModelFiles(model: FhirModel, time: Timer = (_, run) => run()): Map<string, string> {
  const classes = time(
    'classes',
    () => emitClasses(model),
    (files) => `${files.size} files`,
  );
  const server = time(
    'server',
    () => emitServerData(model),
    (files) => `${files.size} files`,
  );
  const schemas = time(
    'schemas',
    () => emitSchemas(model),
    (files) => `${files.size} files`,
  );
  const invariants = time(
    'invariants',
    () => emitInvariants(model),
    (files) => `${files.size} files`,
  );
  return new Map([...classes, ...schemas, ...server, ...invariants]);
}

export async function generateModels(options: GenerateModelsOptions): Promise<GenerateModelsResult> {
  const stages: StageEvent[] = [];
  const result: GenerateModelsResult = { stages };
  const record = (event: StageEvent) => {
    stages.push(event);
    options.onStage?.(event);
  };
  for (const version of options.versions) {
    const time: Timer = (stage, run, detail) => {
      const started = process.hrtime.bigint();
      const value = run();
      record({ version, stage, ms: elapsedMs(started), detail: detail(value) });
      return value;
    };
    const started = process.hrtime.bigint();
    const packages = await fetchPackages([version], options.fetch);
    record({ version, stage: 'load', ms: elapsedMs(started), detail: packages.map(packageName).join(', ') });
    const model = time('ir', () => buildModel(packages, version), modelSummary);
    const files = prefixed(version, emitModelFiles(model, time));
    // Only folders this run emits into are pruned or checked for extra files.
    const managedDirs = MANAGED_FOLDERS.map((folder) => `${version}/${folder}`).filter((dir) =>
      [...files.keys()].some((file) => file.startsWith(`${dir}/`)),
    );
    if (options.check) {
      const checked = time('check', () => checkFiles(options.outDir, files, { managedDirs }), checkSummary);
      result.check = mergeChecks(result.check, checked);
    } else {
      const written = time('write', () => writeFiles(options.outDir, files, { managedDirs }), writeSummary);
      result.written = mergeWrites(result.written, written);
    }
  }
  return result;
}

function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function packageName(pkg: LoadedPackage): string {
  return `${pkg.id.name}@${pkg.id.version}`;
}

/** `r4`, `R4`, `stu3`, `r3`, `dstu2`, `r2` -> version ids, in the order given, without repeats. */
export function parseVersionList(list: string): FhirVersionId[] {
  const ids: FhirVersionId[] = [];
  for (const alias of list
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean)) {
    const version = CORE_VERSIONS.find((core) => core.aliases.includes(alias));
    if (version === undefined) {
      const known = CORE_VERSIONS.flatMap((core) => core.aliases).join(', ');
      throw new FhirgenError('UNKNOWN_ALIAS', `unknown FHIR version "${alias}"`, {
        location: list,
        hint: `use a comma-separated list of ${known}`,
      });
    }
    if (!ids.includes(version.id)) ids.push(version.id);
  }
  if (ids.length === 0) {
    throw new FhirgenError('INVALID_OPTION', 'no FHIR version given', { hint: 'for example --fhir r4,stu3' });
  }
  return ids;
}

function prefixed(version: string, files: Map<string, string>): Map<string, string> {
  return new Map([...files].map(([file, text]) => [`${version}/${file}`, text]));
}

function modelSummary(model: FhirModel): string {
  return `${model.resources.length} resources, ${model.complexTypes.length} data types`;
}

function checkSummary(check: CheckResult): string {
  if (check.upToDate) return 'up to date';
  return `${check.stale.length} stale, ${check.missing.length} missing, ${check.extra.length} extra`;
}

function writeSummary(written: WriteResult): string {
  return `${written.written.length} written, ${written.unchanged.length} unchanged, ${written.removed.length} removed`;
}

function mergeChecks(a: CheckResult | undefined, b: CheckResult): CheckResult {
  if (a === undefined) return b;
  return {
    stale: [...a.stale, ...b.stale],
    missing: [...a.missing, ...b.missing],
    extra: [...a.extra, ...b.extra],
    upToDate: a.upToDate && b.upToDate,
  };
}

function mergeWrites(a: WriteResult | undefined, b: WriteResult): WriteResult {
  if (a === undefined) return b;
  return {
    written: [...a.written, ...b.written],
    unchanged: [...a.unchanged, ...b.unchanged],
    keptUserOwned: [...a.keptUserOwned, ...b.keptUserOwned],
    removed: [...a.removed, ...b.removed],
  };
}
