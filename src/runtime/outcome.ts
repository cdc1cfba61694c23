/**
 * Errors as FHIR answers them: every failure is an OperationOutcome with the status code the FHIR
 * http page prescribes (https://hl7.org/fhir/R4/http.html#Status-Codes). Handlers throw
 * `FhirHttpError`; the dispatcher turns it (and anything unexpected, as a 500 without a stack trace)
 * into a response.
 */
import type { OutcomeIssue } from './binding';

export interface OperationOutcomeJson {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

export class FhirHttpError extends Error {
  readonly status: number;
  readonly issues: OutcomeIssue[];
  /** Extra response headers, such as `Allow` on 405. */
  readonly headers: Record<string, string>;

  constructor(status: number, issues: OutcomeIssue[] | string, headers: Record<string, string> = {}) {
    const list = typeof issues === 'string' ? [issue('error', codeForStatus(status), issues)] : issues;
    super(list.map((entry) => entry.diagnostics ?? entry.code).join('; '));
    this.name = 'FhirHttpError';
    this.status = status;
    this.issues = list;
    this.headers = headers;
  }
}

export function issue(
  severity: OutcomeIssue['severity'],
  code: string,
  diagnostics: string,
  expression?: string[],
): OutcomeIssue {
  return expression === undefined
    ? { severity, code, diagnostics }
    : { severity, code, diagnostics, expression };
}

export function operationOutcome(issues: OutcomeIssue[]): OperationOutcomeJson {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The OperationOutcome issue type that best describes an HTTP status (https://hl7.org/fhir/R4/valueset-issue-type.html). */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid';
    case 401:
      return 'login';
    case 403:
      return 'forbidden';
    case 404:
    case 410:
      return 'not-found';
    case 405:
    case 406:
    case 415:
    case 501:
      return 'not-supported';
    case 409:
    case 412:
      return 'conflict';
    case 413:
      return 'too-costly';
    case 422:
      return 'processing';
    default:
      return status >= 500 ? 'exception' : 'processing';
  }
}

export const badRequest = (message: string): FhirHttpError => new FhirHttpError(400, message);
export const notFound = (message: string): FhirHttpError => new FhirHttpError(404, message);
