/**
 * The framework-free request and response of the FHIR handlers (STYLE.md point 9): the Express
 * adapter builds a `FhirRequest` and writes the `FhirResponse` back; batch and transaction entries
 * are dispatched through the same types.
 */
import type { Principal } from '../contracts';

export interface FhirRequest {
  method: string;
  /** The path below the version's base, e.g. `/Patient/123/_history/2`, without the query string. */
  path: string;
  /** Query parameters in order, repeated names kept (`?a=1&a=2` is two entries). */
  query: [string, string][];
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
  /** The parameters of a form-encoded body (POST `_search`, https://hl7.org/fhir/R4/http.html#search). */
  form?: [string, string][];
  /** Absolute URL of the version's base, e.g. `http://127.0.0.1:8080/r4`. */
  baseUrl: string;
  requestId: string;
  principal?: Principal;
  /**
   * Set only by transaction processing: the id assigned to a created entry beforehand, so that
   * `urn:uuid:` references can be rewritten (https://hl7.org/fhir/R4/http.html#trules).
   */
  assignedId?: string;
}

export interface FhirResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON to send; absent for an empty body. Class instances are serialised with `JSON.stringify`. */
  body?: unknown;
}
