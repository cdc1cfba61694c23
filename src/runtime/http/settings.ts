/**
 * What the request handlers of one FHIR version work with, and the helpers they share: finding the
 * service method for an interaction (405 when it is not implemented) and checking incoming resources
 * before a service sees them (https://hl7.org/fhir/R4/http.html#update: 400 for a wrong type or id).
 */
import type { OutcomeIssue, ResourceJson, VersionBinding } from '../binding';
import type { ServiceContext } from '../contracts';
import { FhirHttpError, issue } from '../outcome';
import type { ResourceService, ServiceMap } from '../service';
import { ownStore } from '../store/store-service';
import type { CastSettings, CastUse } from './cast';
import type { ResourceGuard } from './guard';
import type { Preferences } from './negotiation';
import type { Route } from './routes';
import type { SearchParser } from './search-parser';
import type { FhirRequest } from './types';

/** Explicit transaction control, which a transaction Bundle needs to be all or nothing. */
export interface TransactionControl {
  /**
   * Runs `work` as one transaction, committed when it resolves and rolled back when it throws, kept
   * apart from other requests by the store itself (PostgreSQL: a connection of its own). When present
   * it is used instead of begin/commit/rollback, and other requests need not wait for the Bundle.
   */
  inTransaction?<T>(work: () => Promise<T>): Promise<T>;
  begin(): void | Promise<void>;
  commit(): void | Promise<void>;
  rollback(): void | Promise<void>;
}

/** What the authorization hook is told about each interaction, batch and transaction entries included. */
export interface InteractionInfo {
  interaction: Route['interaction'];
  resourceType?: string;
  id?: string;
  operation?: string;
  /** The query parameters (for search: what `_include`/`_revinclude` ask). */
  query: [string, string][];
}

/**
 * Throws (or rejects with) `FhirHttpError` 401/403 to refuse; what it returns is ignored. The
 * security module plugs in here.
 */
export type AuthorizeHook = (info: InteractionInfo, request: FhirRequest) => unknown;

export interface HandlerSettings {
  binding: VersionBinding;
  /** Check the constraints (invariants) of incoming resources: an error gives 422. */
  invariants: boolean;
  services: ServiceMap;
  searchParser: SearchParser;
  transactions: TransactionControl | undefined;
  updateCreate: boolean;
  cast: CastSettings;
  authorize: AuthorizeHook | undefined;
  /** Resource-level access (patient compartments) for requests that carry a principal. */
  guard: ResourceGuard | undefined;
  /** The CapabilityStatement's `rest.security` (how to obtain a token), when the server is secured. */
  capabilitySecurity: unknown;
  maxBundleEntries: number;
}

/** One request on its way through the handlers. */
export interface Call {
  settings: HandlerSettings;
  request: FhirRequest;
  route: Route;
  prefer: Preferences;
  ctx: ServiceContext;
}

type Method = Exclude<keyof ResourceService, 'operations'>;

export function serviceMethod<M extends Method>(
  call: Call,
  resourceType: string,
  method: M,
): { fn: NonNullable<ResourceService[M]>; label: string } {
  const service = call.settings.services[resourceType];
  const fn = service?.[method];
  if (service === undefined || fn === undefined) {
    throw new FhirHttpError(405, `${resourceType} does not support ${method} on this server`);
  }
  return {
    fn: fn.bind(service) as NonNullable<ResourceService[M]>,
    label: serviceLabel(call, resourceType, method),
  };
}

/** The resource type a type-level route names. */
export function routeType(call: Call): string {
  const { resourceType } = call.route;
  if (resourceType === undefined) throw new FhirHttpError(404, 'No resource type named');
  return resourceType;
}

export function serviceLabel(call: Call, resourceType: string, method: string): string {
  return `${call.settings.binding.label} ${resourceType} service (${method})`;
}

/** Validates a resource sent by the client for `resourceType`; 400 with the validator's issues. */
export function checkIncoming(call: Call, body: unknown, resourceType: string, urlId?: string): ResourceJson {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FhirHttpError(400, `The body must be a ${resourceType} resource`);
  }
  const resource = body as ResourceJson;
  if (resource.resourceType !== resourceType) {
    throw new FhirHttpError(
      400,
      `The body is a ${String(resource.resourceType)}, this endpoint takes ${resourceType}`,
    );
  }
  if (urlId !== undefined && resource.id !== urlId) {
    // https://hl7.org/fhir/R4/http.html#update: the body's id must be present and equal the URL's.
    throw new FhirHttpError(
      400,
      `The body's id (${String(resource.id)}) must equal the id in the URL (${urlId})`,
    );
  }
  const issues = call.settings.binding.validate(resource);
  if (issues.some((entry) => entry.severity === 'error' || entry.severity === 'fatal')) {
    throw new FhirHttpError(400, issues);
  }
  rejectBrokenInvariants(call, resource);
  return resource;
}

/**
 * The invariant issues of a structurally valid resource (none when the server has them off). Writes
 * report only what rejects; `$validate` reports warnings too.
 */
export function invariantIssues(call: Call, resource: ResourceJson): OutcomeIssue[] {
  const check = call.settings.binding.invariants;
  return call.settings.invariants && check !== undefined ? check(resource) : [];
}

/**
 * A resource that breaks a constraint is well-formed but not processable: 422 Unprocessable Entity
 * with the OperationOutcome (https://hl7.org/fhir/R4/http.html#2.21.0.10.1). Warnings never block a write.
 */
export function rejectBrokenInvariants(call: Call, resource: ResourceJson): void {
  const errors = invariantIssues(call, resource).filter((entry) => entry.severity === 'error');
  if (errors.length > 0) throw new FhirHttpError(422, errors);
}

/**
 * How to cast the answer of a create or update. When the service method is `storeService`'s own for
 * this very type (unreplaced, unwrapped, on one of the product's stores), the answer is the resource
 * `checkIncoming` has just validated, copied by the store (`withMeta`), with only these changes:
 * - `id`: on update the URL's id, which the validated body already carried; on create a new
 *   `newResourceId()` (store/resource-id.ts, also a transaction's), a valid id, in place of the client's.
 * - `meta`: the incoming `meta`, validated with the rest of the body, with `versionId` set to the
 *   version number (digits: a valid id) and `lastUpdated` to `Date.prototype.toISOString()` of the
 *   store's clock (a valid instant).
 * Validating that answer again would find what the input check found, so it is not validated again
 * (`stored-write`); the wrong-type check and the cast still run, and a cast that leaves properties
 * out is validated. Any other method, a replaced or wrapped one included, is validated as before.
 */
export function writeCastUse(call: Call, resourceType: string, method: 'create' | 'update'): CastUse {
  return ownStore(call.settings.services[resourceType], method, resourceType) === undefined
    ? 'write'
    : 'stored-write';
}

export function informational(message: string) {
  return issue('information', 'informational', message);
}
