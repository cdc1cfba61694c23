/**
 * Building responses: resource responses with `ETag`, `Last-Modified` and `Location`
 * (https://hl7.org/fhir/R4/http.html#versioning, #create), `Prefer: return=` honoured, and
 * OperationOutcome bodies for errors.
 */
import type { OutcomeIssue } from '../binding';
import { FhirHttpError, issue, operationOutcome } from '../outcome';
import type { CastResource } from './cast';
import type { ReturnPreference } from './negotiation';
import type { FhirResponse } from './types';

export function versionHeaders(
  cast: CastResource,
  baseUrl: string,
  withLocation: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const { versionId, lastUpdated } = cast.json.meta ?? {};
  if (typeof versionId === 'string') headers.ETag = `W/"${versionId}"`;
  if (typeof lastUpdated === 'string') {
    const httpDate = toHttpDate(lastUpdated);
    if (httpDate !== undefined) headers['Last-Modified'] = httpDate;
  }
  if (withLocation && cast.json.id !== undefined) {
    const history = typeof versionId === 'string' ? `/_history/${versionId}` : '';
    headers.Location = `${baseUrl}/${cast.json.resourceType}/${cast.json.id}${history}`;
  }
  return headers;
}

/** The last few conversions: the same resources are read again and again, each with its one date. */
const httpDates = new Map<string, string | undefined>();

/** RFC 9110 §5.6.7: HTTP-date, which toUTCString produces (IMF-fixdate); undefined for a bad instant. */
function toHttpDate(instant: string): string | undefined {
  if (httpDates.has(instant)) return httpDates.get(instant);
  const date = new Date(instant);
  const httpDate = Number.isNaN(date.getTime()) ? undefined : date.toUTCString();
  if (httpDates.size >= 256) httpDates.clear();
  httpDates.set(instant, httpDate);
  return httpDate;
}

/** A resource answer for read, create, update and patch, shaped by `Prefer: return=`. */
export function resourceResponse(
  status: number,
  cast: CastResource,
  baseUrl: string,
  preference: ReturnPreference,
  withLocation: boolean,
): FhirResponse {
  const headers = versionHeaders(cast, baseUrl, withLocation);
  if (preference === 'minimal') return { status, headers };
  if (preference === 'OperationOutcome') {
    const message = `${cast.json.resourceType}/${cast.json.id ?? ''} ${status === 201 ? 'created' : 'stored'}`;
    return { status, headers, body: operationOutcome([issue('information', 'informational', message)]) };
  }
  return { status, headers, body: cast.resource };
}

export function errorResponse(error: unknown): FhirResponse {
  if (error instanceof FhirHttpError) {
    return { status: error.status, headers: { ...error.headers }, body: operationOutcome(error.issues) };
  }
  // Never leak a stack trace or internals to the client; the adapter logs the error.
  const issues: OutcomeIssue[] = [issue('fatal', 'exception', 'Internal server error')];
  return { status: 500, headers: {}, body: operationOutcome(issues) };
}
