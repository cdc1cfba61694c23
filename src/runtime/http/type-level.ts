/**
 * Type-level interactions: create (with conditional create), search (GET and POST `_search`),
 * `$validate` and custom operations (https://hl7.org/fhir/R4/http.html#create, #search,
 * https://hl7.org/fhir/R4/operations.html).
 */
import type { OutcomeIssue } from '../binding';
import type { SearchQuery } from '../contracts';
import { FhirHttpError, issue, operationOutcome } from '../outcome';
import type { ResourceLike, SearchResult } from '../service';
import { storeSearchOf } from '../store/store-service';
import { type CastResource, castEntry, castResult } from './cast';
import { resourceResponse } from './respond';
import {
  type Call,
  checkIncoming,
  informational,
  serviceLabel,
  serviceMethod,
  writeCastUse,
} from './settings';
import { castStoredText } from './stored-text';
import type { FhirResponse } from './types';

function typeOf(call: Call): string {
  const { resourceType } = call.route;
  if (resourceType === undefined) throw new FhirHttpError(404, 'No resource type named');
  return resourceType;
}

export async function create(call: Call): Promise<FhirResponse> {
  const resourceType = typeOf(call);
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

/** Parses the parameters into the typed query and asks the service; shared by search and conditional create. */
async function runSearch(
  call: Call,
  resourceType: string,
  params: [string, string][],
): Promise<{ query: SearchQuery; result: SearchResult; label: string }> {
  const { fn, label } = serviceMethod(call, resourceType, 'search');
  const query = parseQuery(call, resourceType, params);
  const raw = await fn(query, call.ctx);
  return { query, result: Array.isArray(raw) ? { match: raw } : raw, label };
}

function parseQuery(call: Call, resourceType: string, params: [string, string][]): SearchQuery {
  return call.settings.searchParser.parse({
    resourceType,
    params,
    lenient: call.prefer.lenient,
    binding: call.settings.binding,
  });
}

/** A search's matches and included resources, cast, with its total and links. */
interface CastPage {
  query: SearchQuery;
  entries: { mode: 'match' | 'include'; cast: CastResource }[];
  total?: number;
  links?: SearchResult['links'];
}

export async function search(call: Call): Promise<FhirResponse> {
  const resourceType = typeOf(call);
  const params = [...call.request.query, ...(call.request.form ?? [])];
  const omitted: string[] = [];
  const onOmitted = (reason: string) => omitted.push(reason);
  const page =
    searchStoredText(call, resourceType, params, onOmitted) ??
    (await searchService(call, resourceType, params, onOmitted));
  const { query } = page;
  const base = call.request.baseUrl;
  const entry: unknown[] = page.entries.map(({ mode, cast }) => ({
    fullUrl: `${base}/${cast.json.resourceType}/${cast.json.id}`,
    resource: cast.resource,
    search: { mode },
  }));
  const warnings = [
    ...query.ignored.map((ignored) =>
      issue('warning', 'not-supported', `${ignored.name} ignored: ${ignored.reason}`),
    ),
    ...omitted.map((reason) => issue('warning', 'invalid', `left out: ${reason}`)),
  ];
  if (warnings.length > 0) entry.push({ resource: operationOutcome(warnings), search: { mode: 'outcome' } });
  const link = searchLinks(call, resourceType, params, query, page);
  const bundle: Record<string, unknown> = { resourceType: 'Bundle', type: 'searchset' };
  if (page.total !== undefined) bundle.total = page.total;
  bundle.link = link;
  // No empty arrays in FHIR JSON (https://hl7.org/fhir/R4/json.html): `_summary=count` has no entry.
  if (entry.length > 0) bundle.entry = entry;
  return { status: 200, headers: {}, body: bundle };
}

/** The search through the service, each result cast (an invalid one left out and reported). */
async function searchService(
  call: Call,
  resourceType: string,
  params: [string, string][],
  onOmitted: (reason: string) => void,
): Promise<CastPage> {
  const { query, result, label } = await runSearch(call, resourceType, params);
  const entries: CastPage['entries'] = [];
  for (const [mode, list, expected] of [
    ['match', result.match, resourceType],
    ['include', result.include ?? [], undefined],
  ] as const) {
    for (const item of list) {
      const cast = castEntry(call.settings.cast, item, expected, label, onOmitted);
      if (cast !== undefined) entries.push({ mode, cast });
    }
  }
  return withPaging({ query, entries }, result);
}

/**
 * A search whose service method is still `storeService`'s own (as generated service files start)
 * asks the store for the stored texts and looks each cast up by its text, as a read does
 * (`readStoredText`): no parse and no comparison for resources cast before. Undefined when the search
 * must go through the service: another method, a store without stored text (PostgreSQL), no cast
 * cache, or `_summary`/`_elements`, which reshape the resources.
 */
function searchStoredText(
  call: Call,
  resourceType: string,
  params: [string, string][],
  onOmitted: (reason: string) => void,
): CastPage | undefined {
  const cache = call.settings.cast.cache;
  const direct = storeSearchOf(call.settings.services[resourceType]?.search);
  if (cache === undefined || direct?.resourceType !== resourceType || direct.store.searchText === undefined) {
    return undefined;
  }
  const query = parseQuery(call, resourceType, params);
  const found = direct.store.searchText(query, { version: call.ctx.version, baseUrl: call.ctx.baseUrl });
  if (found === undefined) return undefined;
  const label = serviceLabel(call, resourceType, 'search');
  const entries: CastPage['entries'] = [];
  for (const [mode, list, expected] of [
    ['match', found.match, resourceType],
    ['include', found.include, undefined],
  ] as const) {
    for (const stored of list) {
      const cast = castStoredText(cache, stored, (json) =>
        castEntry(call.settings.cast, json, expected, label, onOmitted),
      );
      if (cast !== undefined) entries.push({ mode, cast });
    }
  }
  return withPaging({ query, entries }, found);
}

function withPaging(page: CastPage, result: Pick<SearchResult, 'total' | 'links'>): CastPage {
  if (result.total !== undefined) page.total = result.total;
  if (result.links !== undefined) page.links = result.links;
  return page;
}

/** The service's own links when it pages itself; otherwise `self`, and `next` by `_offset`. */
function searchLinks(
  call: Call,
  resourceType: string,
  params: [string, string][],
  query: SearchQuery,
  result: Pick<SearchResult, 'total' | 'links'>,
): { relation: string; url: string }[] {
  const base = `${call.request.baseUrl}/${resourceType}`;
  // The self link shows the parameters actually used (https://hl7.org/fhir/R4/search.html#errors).
  const used = params.filter(([name]) => !query.ignored.some((ignored) => ignored.name === name));
  const self = { relation: 'self', url: `${base}${queryString(used)}` };
  if (result.links !== undefined) {
    return result.links.some((entry) => entry.relation === 'self') ? result.links : [self, ...result.links];
  }
  const link = [self];
  const offset = query.offset ?? 0;
  if (result.total !== undefined && offset + query.count < result.total) {
    const next: [string, string][] = [
      ...used.filter(([name]) => name !== '_offset'),
      ['_offset', String(offset + query.count)],
    ];
    link.push({ relation: 'next', url: `${base}${queryString(next)}` });
  }
  return link;
}

function queryString(params: [string, string][]): string {
  return params.length === 0 ? '' : `?${new URLSearchParams(params).toString()}`;
}

/**
 * `$validate` (https://hl7.org/fhir/R4/resource-operation-validate.html): the resource in the body or
 * in a `Parameters` resource's `resource` parameter. The outcome is the answer, with 200 even when it
 * lists errors, since the operation itself succeeded.
 */
export function validate(call: Call): FhirResponse {
  const resourceType = typeOf(call);
  if (call.request.method !== 'POST')
    throw new FhirHttpError(405, '$validate takes the resource by POST', { Allow: 'POST' });
  const resource = validationSubject(call.request.body);
  let issues: OutcomeIssue[];
  if (resource === undefined) throw new FhirHttpError(400, '$validate needs a resource in the body');
  if (resource.resourceType !== resourceType) {
    issues = [
      issue('error', 'invalid', `The resource is a ${String(resource.resourceType)}, not a ${resourceType}`),
    ];
  } else issues = call.settings.binding.validate(resource);
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
  const resourceType = typeOf(call);
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
