/**
 * Search at type level (https://hl7.org/fhir/R4/http.html#search, GET and POST `_search`): the
 * parameters parsed into the typed query, the service's answer (or the store's stored texts) cast
 * entry by entry, and the searchset Bundle with its total and links.
 */
import type { SearchQuery } from '../contracts';
import { issue, operationOutcome } from '../outcome';
import type { ResourceService, SearchResult } from '../service';
import { ownStore } from '../store/store-service';
import { type CastResource, castEntry } from './cast';
import { type Call, routeType, serviceMethod } from './settings';
import { castStoredText } from './stored-text';
import type { FhirResponse } from './types';

/** Parses the parameters into the typed query and asks the service; shared by search and conditional create. */
export async function runSearch(
  call: Call,
  resourceType: string,
  params: [string, string][],
): Promise<{ query: SearchQuery; result: SearchResult; label: string }> {
  const { fn, label } = serviceMethod(call, resourceType, 'search');
  const query = parseQuery(call, resourceType, params);
  return { query, result: await askService(fn, query, call), label };
}

async function askService(fn: SearchMethod, query: SearchQuery, call: Call): Promise<SearchResult> {
  const raw = await fn(query, call.ctx);
  return Array.isArray(raw) ? { match: raw } : raw;
}

type SearchMethod = NonNullable<ResourceService['search']>;

function parseQuery(call: Call, resourceType: string, params: [string, string][]): SearchQuery {
  return call.settings.searchParser.parse({
    resourceType,
    params,
    lenient: call.prefer.lenient,
    binding: call.settings.binding,
  });
}

/** A page of search results, cast, with its total and links. */
interface CastPage {
  entries: { mode: 'match' | 'include'; cast: CastResource }[];
  total?: number;
  links?: SearchResult['links'];
}

export async function search(call: Call): Promise<FhirResponse> {
  const resourceType = routeType(call);
  const params = [...call.request.query, ...(call.request.form ?? [])];
  const { fn, label } = serviceMethod(call, resourceType, 'search');
  const query = parseQuery(call, resourceType, params);
  const omitted: string[] = [];
  const onOmitted = (reason: string) => omitted.push(reason);
  const page =
    searchStoredText(call, resourceType, query, label, onOmitted) ??
    (await searchService(call, fn, resourceType, query, label, onOmitted));
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
  fn: SearchMethod,
  resourceType: string,
  query: SearchQuery,
  label: string,
  onOmitted: (reason: string) => void,
): Promise<CastPage> {
  const result = await askService(fn, query, call);
  const entries = castEntries(result.match, result.include ?? [], resourceType, (item, expected) =>
    castEntry(call.settings.cast, item, expected, label, onOmitted),
  );
  return withPaging({ entries }, result);
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
  query: SearchQuery,
  label: string,
  onOmitted: (reason: string) => void,
): CastPage | undefined {
  const cache = call.settings.cast.cache;
  const store = ownStore(call.settings.services[resourceType], 'search', resourceType);
  if (cache === undefined || store?.searchText === undefined) return undefined;
  const found = store.searchText(query, { version: call.ctx.version, baseUrl: call.ctx.baseUrl });
  if (found === undefined) return undefined;
  const entries = castEntries(found.match, found.include, resourceType, (stored, expected) =>
    castStoredText(cache, stored, (json) => castEntry(call.settings.cast, json, expected, label, onOmitted)),
  );
  return withPaging({ entries }, found);
}

/** Matches (expected of the searched type) then included resources (any type), each cast or left out. */
function castEntries<T>(
  match: T[],
  include: T[],
  resourceType: string,
  cast: (item: T, expected: string | undefined) => CastResource | undefined,
): CastPage['entries'] {
  const entries: CastPage['entries'] = [];
  for (const [mode, list, expected] of [
    ['match', match, resourceType],
    ['include', include, undefined],
  ] as const) {
    for (const item of list) {
      const done = cast(item, expected);
      if (done !== undefined) entries.push({ mode, cast: done });
    }
  }
  return entries;
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
