/**
 * Type-level interactions: create (with conditional create), `$validate` and custom operations
 * (https://hl7.org/fhir/R4/http.html#create, https://hl7.org/fhir/R4/operations.html); search is in
 * search.ts.
 */
import type { OutcomeIssue, ResourceJson } from '../binding';
import { FhirHttpError, issue, operationOutcome } from '../outcome';
import type { ResourceLike } from '../service';
import { castResult } from './cast';
import { resourceResponse } from './respond';
import { runSearch } from './search';
import {
  type Call,
  checkIncoming,
  informational,
  invariantIssues,
  routeType,
  serviceLabel,
  serviceMethod,
  writeCastUse,
} from './settings';
import type { FhirResponse } from './types';

export async function create(call: Call): Promise<FhirResponse> {
  const resourceType = routeType(call);
  const checked = checkIncoming(call, call.request.body, resourceType);
  const { fn, label } = serviceMethod(call, resourceType, 'create');
  const condition = call.request.headers['if-none-exist'];
  if (condition !== undefined) {
    const existing = await conditionalMatch(call, resourceType, condition);
    if (existing !== undefined) {
      const cast = castResult(
        call.settings.cast,
        existing,
        resourceType,
        serviceLabel(call, resourceType, 'search'),
        'read',
      );
      return resourceResponse(200, cast, call.request.baseUrl, call.prefer.return, false);
    }
  }
  // https://hl7.org/fhir/R4/http.html#create: the server assigns the id; a client's id is ignored.
  const { id: _ignored, ...resource } = checked;
  const input =
    call.request.assignedId === undefined ? resource : { ...resource, id: call.request.assignedId };
  const cast = castResult(
    call.settings.cast,
    await fn({ ...input, resourceType }, call.ctx),
    resourceType,
    label,
    writeCastUse(call, resourceType, 'create'),
  );
  return resourceResponse(201, cast, call.request.baseUrl, call.prefer.return, true);
}

/**
 * `If-None-Exist` (https://hl7.org/fhir/R4/http.html#ccreate): no match creates, one match is
 * returned with 200, several are 412.
 */
async function conditionalMatch(
  call: Call,
  resourceType: string,
  condition: string,
): Promise<ResourceLike | undefined> {
  const params = [...new URLSearchParams(condition.replace(/^.*\?/, ''))];
  if (params.length === 0) throw new FhirHttpError(400, 'If-None-Exist names no search parameters');
  const { result } = await runSearch(call, resourceType, params);
  if (result.match.length > 1) {
    throw new FhirHttpError(412, `If-None-Exist "${condition}" matches ${result.match.length} resources`);
  }
  return result.match[0];
}

/**
 * `$validate` (https://hl7.org/fhir/R4/resource-operation-validate.html): the resource in the body or
 * in a `Parameters` resource's `resource` parameter. The outcome is the answer, with 200 even when it
 * lists errors, since the operation itself succeeded.
 */
export function validate(call: Call): FhirResponse {
  const resourceType = routeType(call);
  if (call.request.method !== 'POST')
    throw new FhirHttpError(405, '$validate takes the resource by POST', { Allow: 'POST' });
  const resource = validationSubject(call.request.body);
  let issues: OutcomeIssue[];
  if (resource === undefined) throw new FhirHttpError(400, '$validate needs a resource in the body');
  if (resource.resourceType !== resourceType) {
    issues = [
      issue('error', 'invalid', `The resource is a ${String(resource.resourceType)}, not a ${resourceType}`),
    ];
  } else {
    issues = call.settings.binding.validate(resource);
    // Constraints presume a well-formed resource: checked once the structure holds, warnings included.
    if (!issues.some((entry) => entry.severity === 'error')) {
      issues = [...issues, ...invariantIssues(call, resource as ResourceJson)];
    }
  }
  if (issues.length === 0) issues = [informational('No issues found')];
  return { status: 200, headers: {}, body: operationOutcome(issues) };
}

function validationSubject(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const json = body as Record<string, unknown>;
  if (json.resourceType !== 'Parameters') return json;
  const parameters = Array.isArray(json.parameter) ? json.parameter : [];
  const found = parameters.find((p: { name?: unknown }) => p?.name === 'resource') as
    | { resource?: unknown }
    | undefined;
  const inner = found?.resource;
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : undefined;
}

/** A custom operation a service declares, at type or instance level. */
export async function operation(call: Call): Promise<FhirResponse> {
  const resourceType = routeType(call);
  const name = call.route.operation ?? '';
  const level = call.route.id === undefined ? 'type' : 'instance';
  const declared = call.settings.services[resourceType]?.operations?.find(
    (candidate) => candidate.name === name && candidate[level] === true,
  );
  if (declared === undefined)
    throw new FhirHttpError(404, `${resourceType} has no ${level}-level operation $${name}`);
  if (declared.affectsState === true && call.request.method !== 'POST') {
    throw new FhirHttpError(405, `$${name} changes state and takes POST only`, { Allow: 'POST' });
  }
  const params = [...call.request.query, ...parametersOf(call.request.body)];
  const input =
    call.route.id === undefined
      ? { params, body: call.request.body }
      : { id: call.route.id, params, body: call.request.body };
  const result = await declared.handler(input, call.ctx);
  const cast = castResult(
    call.settings.cast,
    result,
    undefined,
    serviceLabel(call, resourceType, `$${name}`),
  );
  return { status: 200, headers: {}, body: cast.resource };
}

/** Primitive parameters of a `Parameters` body as name/value pairs (https://hl7.org/fhir/R4/parameters.html). */
function parametersOf(body: unknown): [string, string][] {
  if (typeof body !== 'object' || body === null) return [];
  const json = body as { resourceType?: unknown; parameter?: unknown };
  if (json.resourceType !== 'Parameters' || !Array.isArray(json.parameter)) return [];
  const pairs: [string, string][] = [];
  for (const parameter of json.parameter as Record<string, unknown>[]) {
    if (typeof parameter?.name !== 'string') continue;
    const valueKey = Object.keys(parameter).find((key) => key.startsWith('value'));
    const value = valueKey === undefined ? undefined : parameter[valueKey];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      pairs.push([parameter.name, String(value)]);
    }
  }
  return pairs;
}
