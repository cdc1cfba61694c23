import type { Response } from 'express';

/**
 * Error answers of the security layer: FHIR OperationOutcome bodies (every 4xx/5xx of the server is
 * one) with the challenge headers RFC 6750 §3 asks for on protected resources.
 */
export type IssueType = 'login' | 'forbidden' | 'throttled' | 'transient';

export function operationOutcome(code: IssueType, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

function quoted(value: string): string {
  // RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

function send(res: Response, status: number, code: IssueType, diagnostics: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(operationOutcome(code, diagnostics)));
}

/** 401 with `error="invalid_token"` (RFC 6750 §3.1), also for a missing token as SECURITY.md asks. */
export function sendInvalidToken(res: Response, description: string, realm = 'fhir'): void {
  res.setHeader(
    'WWW-Authenticate',
    `Bearer realm="${quoted(realm)}", error="invalid_token", error_description="${quoted(description)}"`,
  );
  send(res, 401, 'login', description);
}

/** 429 with Retry-After in seconds (RFC 6585 §4). */
export function sendTooManyRequests(res: Response, retryAfterSeconds: number): void {
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  send(res, 429, 'throttled', 'too many requests; retry later');
}

/** What a client is told when the token state cannot be read or written (the check fails closed). */
export const UNAVAILABLE = 'token cannot be checked now';
export const RETRY_AFTER_SECONDS = 5;

/** 503 (RFC 9110 §15.6.4) with Retry-After: the condition is temporary. */
export function sendUnavailable(res: Response, diagnostics: string): void {
  res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  send(res, 503, 'transient', diagnostics);
}
