import type { OutcomeIssue } from '../binding';
import type { InvariantViolation } from './evaluator';

/**
 * Violations as OperationOutcome issues: code `invariant`, the constraint's severity, diagnostics
 * `<key>: <human text>`, the node's FHIRPath in `expression` (STU3, R4) or `location` (DSTU2), as the
 * structural issues put it (https://hl7.org/fhir/R4/operationoutcome.html). Errors first.
 */
export function invariantIssues(
  violations: readonly InvariantViolation[],
  field: 'expression' | 'location',
): OutcomeIssue[] {
  const issues = violations.map(
    (violation): OutcomeIssue => ({
      severity: violation.severity,
      code: 'invariant',
      diagnostics:
        violation.failure === undefined
          ? `${violation.key}: ${violation.human}`
          : `${violation.key}: ${violation.failure} (${violation.human})`,
      [field]: [violation.location],
    }),
  );
  return [...issues.filter((i) => i.severity === 'error'), ...issues.filter((i) => i.severity !== 'error')];
}
