/** Shared by the invariant tests: each version's evaluator, from the committed generated folder, made once per run. */
import path from 'node:path';
import {
  type InvariantEvaluator,
  type InvariantViolation,
  loadInvariantEvaluator,
} from '../src/invariants/index';
import type { FhirVersionId } from '../src/ir/types';
import { loadValidator } from './schemas-support';

const evaluators = new Map<FhirVersionId, Promise<InvariantEvaluator>>();

export function loadEvaluator(version: FhirVersionId): Promise<InvariantEvaluator> {
  let found = evaluators.get(version);
  if (found === undefined) {
    found = loadValidator(version).then((validator) =>
      loadInvariantEvaluator(path.join(__dirname, '..', 'generated', version), version, {
        validate: (resource) => validator.isValid(resource),
      }),
    );
    evaluators.set(version, found);
  }
  return found;
}

/** `key@location` of each violation that rejects (errors) or says the expression failed. */
export function rejecting(violations: InvariantViolation[]): string[] {
  return violations
    .filter((violation) => violation.severity === 'error' || violation.failure !== undefined)
    .map(
      (violation) =>
        `${violation.key}@${violation.location}${violation.failure ? ` (${violation.failure})` : ''}`,
    );
}
