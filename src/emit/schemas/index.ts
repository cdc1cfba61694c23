import type { FhirModel } from '../../ir/types';
import { buildSchemaDocument } from './build';
import { SCHEMA_FILE } from './runtime/index';
import { runtimeFiles } from './runtime-files';
import { validatorFiles } from './validator-files';

export { buildSchemaDocument } from './build';
export { compileValidator } from './runtime/compile';
export type { SchemaDocument } from './runtime/document';
export { FhirValidator, type ValidationResult } from './runtime/validator';

/** Where the schemas of a version go, relative to `generated/<version>/`. */
export const SCHEMAS_FOLDER = 'schemas';

/**
 * The JSON Schema document of a model, the validators compiled ahead of time from it (ajv standalone
 * code) and the runtime that loads them, as files relative to `generated/<version>/`. Pure apart from
 * reading the runtime's own sources.
 */
export function emitSchemas(model: FhirModel): Map<string, string> {
  const files = new Map<string, string>();
  const document = buildSchemaDocument(model);
  files.set(`${SCHEMAS_FOLDER}/${SCHEMA_FILE}`, `${JSON.stringify(document, null, 1)}\n`);
  for (const [name, text] of runtimeFiles()) files.set(`${SCHEMAS_FOLDER}/${name}`, text);
  for (const [name, text] of validatorFiles(model, document)) files.set(`${SCHEMAS_FOLDER}/${name}`, text);
  return files;
}
