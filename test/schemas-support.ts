/** Shared by the schema tests: official examples and the validators of each version, made once per run. */
import path from 'node:path';
import { readTarball } from '../src/definitions/archive';
import { buildSchemaDocument } from '../src/emit/schemas/build';
import { compileValidator } from '../src/emit/schemas/runtime/compile';
import type { FhirValidator } from '../src/emit/schemas/runtime/validator';
import type { FhirVersionId } from '../src/ir/types';
import { loadModel, SHARED_FHIR_DIR } from './support/models';

export const VERSIONS: readonly FhirVersionId[] = ['dstu2', 'stu3', 'r4'];

const EXAMPLE_ARCHIVES: Readonly<Record<FhirVersionId, string>> = {
  dstu2: 'hl7.fhir.r2.examples-1.0.2.tgz',
  stu3: 'hl7.fhir.r3.examples-3.0.1.tgz',
  r4: 'hl7.fhir.r4.examples-4.0.1.tgz',
};

export interface Example {
  file: string;
  json: Record<string, unknown>;
}

const examples = new Map<FhirVersionId, Promise<Example[]>>();
const compiled = new Map<FhirVersionId, Promise<FhirValidator>>();

/** Every example resource of a version's examples package (its package.json left out). */
export function loadExamples(version: FhirVersionId): Promise<Example[]> {
  let loaded = examples.get(version);
  if (loaded === undefined) {
    loaded = readTarball(path.join(SHARED_FHIR_DIR, EXAMPLE_ARCHIVES[version])).then((files) =>
      [...files]
        .filter(([name]) => name.endsWith('.json') && !name.endsWith('/package.json') && !name.includes('/.'))
        .map(([name, bytes]) => ({ file: path.basename(name), json: JSON.parse(bytes.toString('utf8')) }))
        .filter((example) => typeof example.json.resourceType === 'string')
        .sort((a, b) => (a.file < b.file ? -1 : 1)),
    );
    examples.set(version, loaded);
  }
  return loaded;
}

/**
 * The validator of a version as it ships: the modules generated ahead of time into the committed
 * `generated/<version>/schemas/` (`classes-check.test.ts` proves them current with the IR).
 */
export function loadValidator(version: FhirVersionId): Promise<FhirValidator> {
  const folder = path.join(__dirname, '..', 'generated', version, 'schemas');
  return Promise.resolve(
    (require(path.join(folder, 'index.ts')) as { getValidator(): FhirValidator }).getValidator(),
  );
}

/** The validator of a version compiled by ajv at run time from the schema the emitter builds out of the IR. */
export function compiledValidator(version: FhirVersionId): Promise<FhirValidator> {
  let validator = compiled.get(version);
  if (validator === undefined) {
    validator = loadModel(version).then((model) => compileValidator(buildSchemaDocument(model)));
    compiled.set(version, validator);
  }
  return validator;
}

/** The example with this resourceType and id. */
export function findExample(all: Example[], resourceType: string, id: string): Record<string, unknown> {
  const found = all.find((example) => example.json.resourceType === resourceType && example.json.id === id);
  if (found === undefined) throw new Error(`no ${resourceType}/${id} example`);
  return found.json;
}
