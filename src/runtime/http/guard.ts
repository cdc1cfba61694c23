/**
 * Resource-level access, on top of the per-interaction `authorize` hook: a caller whose scopes reach
 * a type only inside a patient compartment (SMART `patient/` scopes) may see and write only the
 * resources in it. Direct reads, search matches and `_include`/`_revinclude` results, history
 * entries, custom operation results, and every batch/transaction entry (each is dispatched through
 * here) are checked in this one place, so that no interaction can forget it. The handler stays free
 * of security code: the rules come from the `ResourceGuard` the server is given.
 */
import type { ResourceJson } from '../binding';
import { applyPatch, parsePatch } from '../json-patch';
import { FhirHttpError } from '../outcome';
import { screenOperationResult } from './guard-operation';
import type { Call } from './settings';
import type { FhirRequest, FhirResponse } from './types';

/** SMART's interactions as the security module names them: search matches are checked as `search-type`. */
export type GuardInteraction = 'read' | 'search-type' | 'history-type' | 'create' | 'update' | 'delete';

export interface ResourceGuard {
  /** Whether what the caller may do to `resourceType` depends on the resource itself (patient compartment). */
  restricted(request: FhirRequest, resourceType: string, interaction: GuardInteraction): boolean;
  /** Whether the caller may see (`read`) or write this resource. */
  allows(request: FhirRequest, resource: ResourceJson, interaction: GuardInteraction): boolean;
  /**
   * Whether a resource of this type can be in a patient compartment at all. A restricted caller is
   * refused every other type outright (403), before anything is served: SMART's `patient/` scopes
   * reach the patient's compartment and nothing else.
   */
  inCompartment?(resourceType: string): boolean;
  /** Response headers of a refusal (the RFC 6750 challenge). */
  challenge?: Record<string, string>;
}

export type Serve = (call: Call) => Promise<FhirResponse> | FhirResponse;

export async function guarded(call: Call, guard: ResourceGuard, serve: Serve): Promise<FhirResponse> {
  checkType(call, guard);
  await checkWrite(call, guard);
  const response = await serve(call);
  return filterResponse(call, guard, response);
}

function refuse(guard: ResourceGuard, what: string): FhirHttpError {
  return new FhirHttpError(403, `${what} is outside the token's patient compartment`, {
    ...guard.challenge,
  });
}

/** What each interaction on a type asks of it; `$validate` stores and returns nothing of the type. */
const ON_TYPE: Partial<Record<Call['route']['interaction'], GuardInteraction>> = {
  read: 'read',
  vread: 'read',
  'history-instance': 'read',
  operation: 'read',
  'search-type': 'search-type',
  'history-type': 'history-type',
  create: 'create',
  update: 'update',
  patch: 'update',
  delete: 'delete',
};

function checkType(call: Call, guard: ResourceGuard): void {
  const { route, request } = call;
  const interaction = ON_TYPE[route.interaction];
  const type = route.resourceType;
  if (type === undefined || interaction === undefined || guard.inCompartment === undefined) return;
  // The lookup first: most requests name a type in the compartment and need no scope parsing.
  if (!guard.inCompartment(type) && guard.restricted(request, type, interaction)) {
    throw new FhirHttpError(403, `${type} is not in the patient compartment, which patient/ scopes keep to`, {
      ...guard.challenge,
    });
  }
}

/** Writes are refused before they happen: the resource sent, and the one it replaces, must both be allowed. */
async function checkWrite(call: Call, guard: ResourceGuard): Promise<void> {
  const { route, request } = call;
  const type = route.resourceType;
  if (type === undefined) return;
  const interaction = WRITES[route.interaction];
  if (interaction === undefined || !guard.restricted(request, type, interaction)) return;
  const body = request.body as ResourceJson | undefined;
  if (route.interaction === 'create' || route.interaction === 'update') {
    // A body of the wrong shape is left to the handler's own 400.
    if (isResource(body) && !guard.allows(request, body, interaction))
      throw refuse(guard, `The ${type} sent`);
  }
  if (route.id === undefined || route.interaction === 'create') return;
  const current = await currentResource(call, type, route.id);
  if (current === undefined) return;
  if (!guard.allows(request, current, interaction)) throw refuse(guard, `${type}/${route.id}`);
  if (route.interaction === 'patch') {
    let patched: unknown;
    try {
      patched = applyPatch(current, parsePatch(body));
    } catch {
      return; // the handler answers the bad patch itself
    }
    if (isResource(patched) && !guard.allows(request, patched, interaction)) {
      throw refuse(guard, `${type}/${route.id} as patched`);
    }
  }
}

const WRITES: Partial<Record<Call['route']['interaction'], GuardInteraction>> = {
  create: 'create',
  update: 'update',
  patch: 'update',
  delete: 'delete',
};

async function currentResource(call: Call, type: string, id: string): Promise<ResourceJson | undefined> {
  const service = call.settings.services[type];
  if (service?.read === undefined) return undefined;
  try {
    const found = await service.read(id, call.ctx);
    return found === undefined || found === null ? undefined : toJson(found);
  } catch (error) {
    if (error instanceof FhirHttpError && (error.status === 404 || error.status === 410)) return undefined;
    throw error;
  }
}

function filterResponse(call: Call, guard: ResourceGuard, response: FhirResponse): FhirResponse {
  if (response.status >= 400 || response.body === undefined) return response;
  const { interaction, resourceType } = call.route;
  const request = call.request;
  switch (interaction) {
    // A conditional create answers with the match it found: that is a read too.
    case 'read':
    case 'vread':
    case 'create':
    case 'update':
    case 'patch': {
      if (resourceType === undefined || !guard.restricted(request, resourceType, 'read')) return response;
      const json = toJson(response.body);
      if (json !== undefined && json.resourceType === resourceType && !guard.allows(request, json, 'read')) {
        throw refuse(guard, `${resourceType}/${String(json.id)}`);
      }
      return response;
    }
    case 'search-type': {
      const restricted = resourceType !== undefined && guard.restricted(request, resourceType, 'search-type');
      return filterBundle(request, guard, response, 'search-type', restricted);
    }
    case 'history-instance':
      return filterBundle(request, guard, response, 'read', false);
    case 'history-type':
    case 'history-system':
      return filterBundle(request, guard, response, 'history-type', false);
    case 'operation':
      return filterOperation(call, guard, response);
    default:
      return response;
  }
}

interface Entry {
  fullUrl?: string;
  resource?: unknown;
  search?: { mode?: string };
}

/**
 * Search and history Bundles lose the entries the caller may not see (an `_include` of a type the
 * scopes do not cover, another patient's resources). A search total would count the hidden matches,
 * so it is left out when some were hidden.
 */
function filterBundle(
  request: FhirRequest,
  guard: ResourceGuard,
  response: FhirResponse,
  matches: GuardInteraction,
  restricted: boolean,
): FhirResponse {
  const bundle = response.body as { type?: string; entry?: Entry[]; total?: number };
  const search = bundle.type === 'searchset';
  let hiddenMatches = 0;
  const entries = bundle.entry ?? [];
  const entry = entries.filter((item) => {
    if (item.search?.mode === 'outcome') return true;
    const json = item.resource === undefined ? fromFullUrl(item.fullUrl) : toJson(item.resource);
    // Included resources are reads of their own type; matches are what the interaction returns.
    const interaction = item.search?.mode === 'include' ? 'read' : matches;
    const visible = json !== undefined && guard.allows(request, json, interaction);
    if (!visible && item.search?.mode !== 'include') hiddenMatches += 1;
    return visible;
  });
  // Under patient scopes a total would count other patients' matches (even `_summary=count`).
  const dropTotal = search && (restricted || hiddenMatches > 0) && bundle.total !== undefined;
  if (entry.length === entries.length && !dropTotal) return response;
  const body: Record<string, unknown> = { ...bundle };
  if (entry.length > 0) body.entry = entry;
  else delete body.entry;
  if (dropTotal) delete body.total;
  else if (!search && bundle.total !== undefined) body.total = entry.length;
  return { ...response, body };
}

function filterOperation(call: Call, guard: ResourceGuard, response: FhirResponse): FhirResponse {
  const json = toJson(response.body);
  if (json === undefined) return response;
  const verdict = screenOperationResult(json, {
    resourceOf: (entry) =>
      entry.resource === undefined ? fromFullUrl(entry.fullUrl) : toJson(entry.resource),
    sees: (resource) => guard.allows(call.request, resource, 'read'),
  });
  if ('refused' in verdict) {
    throw new FhirHttpError(
      403,
      `${verdict.refused} in the $${call.route.operation} result is outside what the token may read`,
      { ...guard.challenge },
    );
  }
  return verdict.body === json ? response : { ...response, body: verdict.body };
}

/** A deleted version in a history Bundle has no resource: its type and id come from the fullUrl. */
function fromFullUrl(fullUrl: string | undefined): ResourceJson | undefined {
  const match = /([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(fullUrl ?? '');
  return match ? { resourceType: match[1] as string, id: match[2] as string } : undefined;
}

function isResource(value: unknown): value is ResourceJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { resourceType?: unknown }).resourceType === 'string'
  );
}

/** Class instances (what casting produced) serialise to their FHIR JSON. */
function toJson(value: unknown): ResourceJson | undefined {
  if (!isResource(value) && (typeof value !== 'object' || value === null)) return undefined;
  const json: unknown = JSON.parse(JSON.stringify(value));
  return isResource(json) ? json : undefined;
}
