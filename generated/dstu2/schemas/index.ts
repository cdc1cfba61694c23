/**
 * The validators of one FHIR version, ready to use: `validate(json)` for any resource, `validateAs(type,
 * json)` for one type. They are ajv standalone code generated ahead of time (`validators/`), loaded per
 * resource type at first use; `fhir.schema.json` next to this file is the JSON Schema they come from.
 */
import type { ValidatorModules } from './modules';
import { standaloneValidator } from './standalone';
import type { FhirValidator, ValidationResult } from './validator';

export type { SchemaDocument } from './document';
export type { ValidatorModules } from './modules';
export type { Issue, IssueCode, OperationOutcome, OutcomeIssue } from './outcome';
export { standaloneValidator } from './standalone';
export { FhirValidator, UnknownResourceTypeError, type ValidationResult } from './validator';

export const SCHEMA_FILE = 'fhir.schema.json';

let shared: FhirValidator | undefined;

/**
 * A static `require`, so that bundlers (a generated project's `npm start` bundles with esbuild) carry
 * the modules along; `validators/index.ts` requires each module the same way.
 */
export function loadValidatorModules(): ValidatorModules {
  return (require('./validators/index') as { modules: ValidatorModules }).modules;
}

/** The version's validator, created on first call and shared afterwards. */
export function getValidator(): FhirValidator {
  shared ??= standaloneValidator(loadValidatorModules());
  return shared;
}

export function validate(json: unknown): ValidationResult {
  return getValidator().validate(json);
}

export function validateAs(type: string, json: unknown): ValidationResult {
  return getValidator().validateAs(type, json);
}
