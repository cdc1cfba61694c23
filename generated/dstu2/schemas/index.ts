/**
 * The validators of one FHIR version, ready to use: `validate(json)` for any resource, `validateAs(type,
 * json)` for one type. The schema document sits next to this file; validators compile at first use.
 */
import type { SchemaDocument } from './document';
import { FhirValidator, type ValidationResult } from './validator';

export type { SchemaDocument } from './document';
export type { Issue, IssueCode, OperationOutcome, OutcomeIssue } from './outcome';
export { FhirValidator, UnknownResourceTypeError, type ValidationResult } from './validator';

export const SCHEMA_FILE = 'fhir.schema.json';

let shared: FhirValidator | undefined;

/**
 * A static `require` of the JSON file, so that bundlers (a generated project's `npm start` bundles with
 * esbuild) carry the schema along, and the type checker does not infer types from megabytes of data.
 */
export function loadSchemaDocument(): SchemaDocument {
  return require('./fhir.schema.json') as SchemaDocument;
}

/** The version's validator, created on first call and shared afterwards. */
export function getValidator(): FhirValidator {
  shared ??= new FhirValidator(loadSchemaDocument());
  return shared;
}

export function validate(json: unknown): ValidationResult {
  return getValidator().validate(json);
}

export function validateAs(type: string, json: unknown): ValidationResult {
  return getValidator().validateAs(type, json);
}
