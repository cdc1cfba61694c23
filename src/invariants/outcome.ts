import type { OperationOutcome, OutcomeIssue } from '../emit/schemas/runtime/outcome';
import type { InvariantViolation } from '../runtime/invariants/evaluator';
import { invariantIssues } from '../runtime/invariants/outcome';

/**
 * The outcome of a resource that passed the structural check, with its invariant violations: errors
 * first, then warnings. Invariants run only on structurally valid resources, since their expressions
 * presume the types the structure guarantees; a structurally invalid resource keeps the structural
 * outcome alone. Valid unless some violation is an error.
 */
export function withInvariants(
  structural: OperationOutcome,
  violations: readonly InvariantViolation[],
  field: 'expression' | 'location',
): { valid: boolean; outcome: OperationOutcome } {
  if (violations.length === 0) return { valid: true, outcome: structural };
  return {
    valid: !violations.some((violation) => violation.severity === 'error'),
    outcome: {
      resourceType: 'OperationOutcome',
      issue: invariantIssues(violations, field) as OutcomeIssue[],
    },
  };
}
