/**
 * Instance-level interactions: read, vread, update, patch, delete
 * (https://hl7.org/fhir/R4/http.html#read and following sections).
 */
import type { ResourceJson } from '../binding';
import { applyPatch, parsePatch } from '../json-patch';
import { FhirHttpError } from '../outcome';
import type { ResourceLike, UpdateResult } from '../service';
import { ownStore } from '../store/store-service';
import { type CastResource, castResult } from './cast';
import { parseIfMatch } from './negotiation';
import { resourceResponse } from './respond';
import { type Call, checkIncoming, rejectBrokenInvariants, serviceMethod, writeCastUse } from './settings';
import { castStoredText } from './stored-text';
import type { FhirResponse } from './types';

function target(call: Call): { resourceType: string; id: string } {
  const { resourceType, id } = call.route;
  if (resourceType === undefined || id === undefined) throw new FhirHttpError(404, 'No resource named');
  return { resourceType, id };
}

export async function read(call: Call): Promise<FhirResponse> {
  const { resourceType, id } = target(call);
  const { fn, label } = serviceMethod(call, resourceType, 'read');
  const stored = readStoredText(call, resourceType, id, label);
  if (stored !== undefined)
    return resourceResponse(200, stored, call.request.baseUrl, 'representation', false);
  const result = await fn(id, call.ctx);
  if (result === undefined || result === null)
    throw new FhirHttpError(404, `${resourceType}/${id} is not known`);
  const cast = castResult(call.settings.cast, result, resourceType, label, 'read');
  return resourceResponse(200, cast, call.request.baseUrl, 'representation', false);
}

/**
 * A read whose service method is still `storeService`'s own (as generated service files start) asks
 * the store for the stored text and looks the cast up by that text: no parse, no comparison. The
 * answer is the one the service would have given, cast the same way. Undefined when the read must go
 * through the service: another method, a store without the text at hand, or no cast cache.
 */
function readStoredText(
  call: Call,
  resourceType: string,
  id: string,
  label: string,
): CastResource | undefined {
  const cache = call.settings.cast.cache;
  const store = ownStore(call.settings.services[resourceType], 'read', resourceType);
  if (cache === undefined || store?.readText === undefined) return undefined;
  const text = store.readText(resourceType, id);
  return castStoredText(cache, { resourceType, id, text }, (json) =>
    castResult(call.settings.cast, json, resourceType, label, 'read'),
  );
}

export async function vread(call: Call): Promise<FhirResponse> {
  const { resourceType, id } = target(call);
  const versionId = call.route.versionId ?? '';
  const { fn, label } = serviceMethod(call, resourceType, 'vread');
  const result = await fn(id, versionId, call.ctx);
  if (result === undefined || result === null) {
    throw new FhirHttpError(404, `${resourceType}/${id}/_history/${versionId} is not known`);
  }
  const cast = castResult(call.settings.cast, result, resourceType, label, 'read');
  return resourceResponse(200, cast, call.request.baseUrl, 'representation', false);
}

export async function update(call: Call): Promise<FhirResponse> {
  const { resourceType, id } = target(call);
  const resource = checkIncoming(call, call.request.body, resourceType, id);
  const { fn, label } = serviceMethod(call, resourceType, 'update');
  const ifMatch = parseIfMatch(call.request.headers['if-match']);
  if (ifMatch !== undefined) await checkCurrentVersion(call, resourceType, id, ifMatch);
  const options =
    ifMatch === undefined ? { allowCreate: call.settings.updateCreate } : { ifMatch, allowCreate: false };
  const result = asUpdateResult(await fn(id, resource, call.ctx, options));
  const use = writeCastUse(call, resourceType, 'update');
  const cast = castResult(call.settings.cast, result.resource, resourceType, label, use);
  const status = result.created ? 201 : 200;
  return resourceResponse(status, cast, call.request.baseUrl, call.prefer.return, result.created);
}

/**
 * JSON Patch (https://hl7.org/fhir/R4/http.html#patch). A service may implement `patch` itself;
 * otherwise the server reads, patches, validates and updates with `If-Match` set to the version it
 * read, so that a concurrent change makes the patch fail (412) instead of being lost.
 */
export async function patch(call: Call): Promise<FhirResponse> {
  const { resourceType, id } = target(call);
  const contentType = (call.request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json-patch+json') {
    throw new FhirHttpError(415, 'PATCH takes application/json-patch+json (RFC 6902)');
  }
  const operations = parsePatch(call.request.body);
  const ifMatch = parseIfMatch(call.request.headers['if-match']);
  const own = call.settings.services[resourceType]?.patch;
  if (own !== undefined) {
    const { fn, label } = serviceMethod(call, resourceType, 'patch');
    const options = ifMatch === undefined ? { allowCreate: false } : { ifMatch, allowCreate: false };
    const cast = castResult(
      call.settings.cast,
      await fn(id, operations, call.ctx, options),
      resourceType,
      label,
    );
    return resourceResponse(200, cast, call.request.baseUrl, call.prefer.return, false);
  }
  const reader = serviceMethod(call, resourceType, 'read');
  const writer = serviceMethod(call, resourceType, 'update');
  const current = await reader.fn(id, call.ctx);
  if (current === undefined || current === null)
    throw new FhirHttpError(404, `${resourceType}/${id} is not known`);
  const before = castResult(call.settings.cast, current, resourceType, reader.label, 'read').json;
  const versionId = before.meta?.versionId;
  if (ifMatch !== undefined && ifMatch !== versionId) {
    throw new FhirHttpError(
      412,
      `${resourceType}/${id}: If-Match asks for version ${ifMatch}, current is ${String(versionId)}`,
    );
  }
  const after = applyPatch(before, operations);
  if (typeof after !== 'object' || after === null || after.resourceType !== resourceType || after.id !== id) {
    throw new FhirHttpError(422, 'The patch must not change the resource type or id');
  }
  const issues = call.settings.binding.validate(after);
  if (issues.some((entry) => entry.severity === 'error' || entry.severity === 'fatal')) {
    throw new FhirHttpError(422, issues);
  }
  rejectBrokenInvariants(call, after as ResourceJson);
  const options =
    versionId === undefined ? { allowCreate: false } : { ifMatch: versionId, allowCreate: false };
  const result = asUpdateResult(await writer.fn(id, after as ResourceJson, call.ctx, options));
  const cast = castResult(call.settings.cast, result.resource, resourceType, writer.label);
  return resourceResponse(200, cast, call.request.baseUrl, call.prefer.return, false);
}

/** https://hl7.org/fhir/R4/http.html#delete: 204 whether or not the resource existed. */
export async function remove(call: Call): Promise<FhirResponse> {
  const { resourceType, id } = target(call);
  const { fn } = serviceMethod(call, resourceType, 'delete');
  await fn(id, call.ctx);
  return { status: 204, headers: {} };
}

/** `If-Match` checked against the service's read, for services that would not check it themselves. */
async function checkCurrentVersion(
  call: Call,
  resourceType: string,
  id: string,
  ifMatch: string,
): Promise<void> {
  const reader = call.settings.services[resourceType]?.read;
  if (reader === undefined) return;
  let current: ResourceLike | undefined | null;
  try {
    current = await reader.call(call.settings.services[resourceType], id, call.ctx);
  } catch (error) {
    if (error instanceof FhirHttpError && (error.status === 404 || error.status === 410)) current = undefined;
    else throw error;
  }
  const label = `${call.settings.binding.label} ${resourceType} service (read)`;
  const versionId =
    current === undefined || current === null
      ? undefined
      : castResult(call.settings.cast, current, resourceType, label, 'read').json.meta?.versionId;
  if (versionId !== ifMatch) {
    throw new FhirHttpError(
      412,
      `${resourceType}/${id}: If-Match asks for version ${ifMatch}, current is ${versionId ?? 'none'}`,
    );
  }
}

/** A bare resource is an update of an existing one; `{ resource, created }` says which it was. */
function asUpdateResult(value: UpdateResult | ResourceLike): UpdateResult {
  if (
    typeof value === 'object' &&
    value !== null &&
    'created' in value &&
    'resource' in value &&
    !('resourceType' in value)
  ) {
    return value as UpdateResult;
  }
  return { resource: value, created: false };
}
