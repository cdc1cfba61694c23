import type { OperationOutcome, OutcomeIssue } from '../emit/schemas/runtime/outcome';
import type { InvariantViolation } from './evaluator';

/**
 * Violations as OperationOutcome issues: code `invariant`, the constraint's severity, diagnostics
 * `<key>: <human text>`, the node's FHIRPath in `expression` (STU3, R4) or `location` (DSTU2), as the
 * structural issues put it (https://hl7.org/fhir/R4/operationoutcome.html).
 */
export function invariantIssues(
  violations: readonly InvariantViolation[],
  field: 'expression' | 'location',
): OutcomeIssue[] {
  return violations.map((violation) => ({
    severity: violation.severity,
    code: 'invariant',
    diagnostics:
      violation.failure === undefined
        ? `${violation.key}: ${violation.human}`
        : `${violation.key}: ${violation.failure} (${violation.human})`,
    [field]: [violation.location],
  }));
}

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
  const issues = invariantIssues(violations, field);
  const ordered = [
    ...issues.filter((i) => i.severity === 'error'),
    ...issues.filter((i) => i.severity !== 'error'),
  ];
  return {
    valid: !violations.some((violation) => violation.severity === 'error'),
    outcome: { resourceType: 'OperationOutcome', issue: ordered },
  };
}
