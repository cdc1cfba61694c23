import type { FhirModel } from '../../ir/types';
import { buildSchemaDocument } from './build';
import { SCHEMA_FILE } from './runtime/index';
import { runtimeFiles } from './runtime-files';

export { buildSchemaDocument } from './build';
export type { SchemaDocument } from './runtime/document';
export { FhirValidator, type ValidationResult } from './runtime/validator';

/** Where the schemas of a version go, relative to `generated/<version>/`. */
export const SCHEMAS_FOLDER = 'schemas';

/**
 * The JSON Schema document of a model and the validator runtime that reads it, as files relative to
 * `generated/<version>/`. Pure apart from reading the runtime's own sources.
 */
export function emitSchemas(model: FhirModel): Map<string, string> {
  const files = new Map<string, string>();
  files.set(`${SCHEMAS_FOLDER}/${SCHEMA_FILE}`, `${JSON.stringify(buildSchemaDocument(model), null, 1)}\n`);
  for (const [name, text] of runtimeFiles()) files.set(`${SCHEMAS_FOLDER}/${name}`, text);
  return files;
}
