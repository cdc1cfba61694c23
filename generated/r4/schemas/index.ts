/**
 * The validators of one FHIR version, ready to use: `validate(json)` for any resource, `validateAs(type,
 * json)` for one type. The schema document sits next to this file; validators compile at first use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaDocument } from './document';
import { FhirValidator, type ValidationResult } from './validator';

export type { SchemaDocument } from './document';
export type { Issue, IssueCode, OperationOutcome, OutcomeIssue } from './outcome';
export { FhirValidator, UnknownResourceTypeError, type ValidationResult } from './validator';

export const SCHEMA_FILE = 'fhir.schema.json';

let shared: FhirValidator | undefined;

export function loadSchemaDocument(): SchemaDocument {
  return JSON.parse(readFileSync(join(__dirname, SCHEMA_FILE), 'utf8')) as SchemaDocument;
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
