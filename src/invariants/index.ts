/**
 * The invariant evaluator of one version, from the committed `generated/<version>/` folder: the
 * constraints (`invariants/invariants.json`), the expanded ValueSets for `memberOf()`
 * (`server/value-sets.json`) and the `fhirpath` engine's model of the version.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InvariantData } from '../emit/invariants/data';
import { INVARIANTS_FILE } from '../emit/invariants/index';
import type { FhirVersionId } from '../ir/types';
import { type FhirpathModel, InvariantEvaluator } from '../runtime/invariants/evaluator';
import type { JsonObject } from '../runtime/invariants/functions';

export {
  type EvaluatorOptions,
  InvariantEvaluator,
  type InvariantViolation,
} from '../runtime/invariants/evaluator';
export { invariantIssues } from '../runtime/invariants/outcome';
export { withInvariants } from './outcome';

/** The engine's model of each version (fhirpath ships `fhir-context/dstu2`, `stu3`, `r4`). */
export function fhirpathModel(version: FhirVersionId): FhirpathModel {
  return require(`fhirpath/fhir-context/${version}`) as FhirpathModel;
}

export function loadInvariantEvaluator(
  versionDir: string,
  version: FhirVersionId,
  options: { validate?: (resource: JsonObject) => boolean; engineOnly?: boolean } = {},
): InvariantEvaluator {
  const read = <T>(file: string): T => JSON.parse(readFileSync(path.join(versionDir, file), 'utf8')) as T;
  const data = read<InvariantData>(INVARIANTS_FILE);
  const valueSets = read<Record<string, string[]>>('server/value-sets.json');
  return new InvariantEvaluator(data, { ...options, model: fhirpathModel(version), valueSets });
}
