import type { Options, ValidateFunction } from 'ajv';
import type { FhirgenMeta } from './document';
import type { KeywordHelpers } from './keywords';

/**
 * The validators of a version as ajv standalone code, generated ahead of time (`validators/` next to
 * this file): one CommonJS module per concrete resource type, holding its backbone elements too, and one
 * for the data types they share. Each module exports a factory, so that the keyword helpers (which find
 * the validator of a contained resource) are passed in rather than shared through module state.
 */

/** `validators/datatypes.js`: the shared data type validators, by definition name. */
export type DatatypesFactory = (helpers: KeywordHelpers) => Record<string, ValidateFunction>;

/** `validators/<Resource>.js`: the validator of one resource type. */
export type ResourceFactory = (
  helpers: KeywordHelpers,
  datatypes: Record<string, ValidateFunction>,
) => ValidateFunction;

/** `validators/index.ts`: the version's facts and a static `require` per module, called at first use. */
export interface ValidatorModules {
  meta: FhirgenMeta;
  datatypes: () => DatatypesFactory;
  resources: Record<string, () => ResourceFactory>;
}

/** The module of the shared data types, and the factories' parameter names in generated code. */
export const DATATYPES_MODULE = 'datatypes';
export const HELPERS_PARAMETER = 'helpers';
export const DATATYPES_PARAMETER = 'datatypes';

/** The ajv options of every validator, compiled at run time or ahead of time: both report alike. */
export const AJV_OPTIONS: Options = {
  // Every problem of a resource is reported at once, with the data and schema behind it.
  allErrors: true,
  verbose: true,
  messages: false,
  strictTypes: false,
  // A referenced definition is always its own function, never copied into each place that uses it:
  // standalone code a quarter smaller, loaded faster, and no slower to run.
  inlineRefs: false,
};
