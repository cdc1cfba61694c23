/**
 * The searchset Bundle (https://hl7.org/fhir/R4/bundle.html#searchset, search.html#return): `total`,
 * `self`/`first`/`next`/`previous` links, `fullUrl`, `search.mode` match/include/outcome, and the
 * resources cut down by `_summary` and `_elements` (marked SUBSETTED, search.html#summary).
 */
import type { PageCursor, SearchQuery } from '../contracts';
import { encodeCursor } from './result-params';
import { encodeComponent, type LinkOptions, renderSearchUrl } from './self-link';
import type { SearchPage, StoredResource } from './sql/engine';
import { type FhirVersion, lookupTable, type SearchTables } from './table';

export interface BundleOptions {
  version: FhirVersion;
  baseUrl: string;
  /** Top-level elements marked as summary per resource type (from the IR's `isSummary`), for `_summary=true`. */
  summaryElements?: (resourceType: string) => readonly string[] | undefined;
  /** Top-level mandatory elements per resource type, which `_summary=text` and `_elements` keep too. */
  mandatoryElements?: (resourceType: string) => readonly string[] | undefined;
}

/** Summary and mandatory element lists read from the version's search tables (`SearchTable.summary`). */
export function elementListsOf(
  tables: SearchTables,
): Pick<BundleOptions, 'summaryElements' | 'mandatoryElements'> {
  return {
    summaryElements: (resourceType) => lookupTable(tables, resourceType)?.summary,
    mandatoryElements: (resourceType) => lookupTable(tables, resourceType)?.mandatory,
  };
}

const SUBSETTED_SYSTEM: Record<FhirVersion, string> = {
  r4: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  stu3: 'http://hl7.org/fhir/v3/ObservationValue',
  dstu2: 'http://hl7.org/fhir/v3/ObservationValue',
};

export function buildSearchBundle(
  query: SearchQuery,
  page: SearchPage,
  options: BundleOptions,
): Record<string, unknown> {
  const link = [
    { relation: 'self', url: renderSearchUrl(query, options) },
    ...pageLinks(query, page, options),
  ];
  const entry: Record<string, unknown>[] = [
    ...page.matches.map((resource) => entryOf(resource, 'match', query, options)),
    ...page.includes.map((resource) => entryOf(resource, 'include', query, options)),
  ];
  if (query.ignored.length > 0) entry.push({ resource: ignoredOutcome(query), search: { mode: 'outcome' } });
  const bundle: Record<string, unknown> = { resourceType: 'Bundle', type: 'searchset' };
  if (page.total !== undefined) bundle.total = page.total;
  bundle.link = link;
  if (entry.length > 0) bundle.entry = entry;
  return bundle;
}

/**
 * `first`, `previous` and `next` (https://hl7.org/fhir/R4/http.html#paging): the neighbours carry
 * their own keyset cursor, so a walk through the pages stays free of duplicates and gaps while
 * others write.
 */
export function pageLinks(
  query: SearchQuery,
  page: Pick<SearchPage, 'next' | 'previous'>,
  options: LinkOptions,
): { relation: string; url: string }[] {
  const { cursor: _cursor, offset: _offset, ...firstQuery } = query;
  const first = renderSearchUrl(firstQuery, options);
  const link = [{ relation: 'first', url: first }];
  // The neighbours are the first page's URL with their cursor, the last parameter `renderSearchUrl`
  // writes: appended here rather than rendering every parameter again.
  const at = (cursor: PageCursor) =>
    `${first}${first.includes('?') ? '&' : '?'}_cursor=${encodeComponent(encodeCursor(cursor))}`;
  if (page.previous) link.push({ relation: 'previous', url: at(page.previous) });
  if (page.next) link.push({ relation: 'next', url: at(page.next) });
  return link;
}

function entryOf(
  resource: StoredResource,
  mode: 'match' | 'include',
  query: SearchQuery,
  options: BundleOptions,
) {
  return {
    fullUrl: `${options.baseUrl}/${resource.resourceType}/${resource.id}`,
    resource: shape(resource, query, options),
    search: { mode },
  };
}

/** Applies `_elements` or `_summary` to one resource. */
export function shape(resource: StoredResource, query: SearchQuery, options: BundleOptions): StoredResource {
  const mandatory = options.mandatoryElements?.(resource.resourceType) ?? [];
  if (query.elements) return subset(resource, [...query.elements, ...mandatory], options.version);
  switch (query.summary) {
    // "text, id, meta, and top-level mandatory elements" (search.html#summary).
    case 'text':
      return subset(resource, ['text', ...mandatory], options.version);
    case 'data': {
      const { text: _text, ...rest } = resource;
      return markSubsetted(rest as StoredResource, options.version);
    }
    case 'true': {
      const elements = options.summaryElements?.(resource.resourceType);
      return elements ? subset(resource, elements, options.version) : resource;
    }
    default:
      return resource;
  }
}

/** Keeps `resourceType`, `id`, `meta` and the named elements; `value` keeps `valueQuantity` etc. */
function subset(resource: StoredResource, elements: readonly string[], version: FhirVersion): StoredResource {
  const names = elements.map((name) => name.replace(/\[x\]$/, ''));
  const keep = (key: string) =>
    key === 'resourceType' ||
    key === 'id' ||
    key === 'meta' ||
    names.some((name) => key === name || (key.startsWith(name) && /^[A-Z]/.test(key.slice(name.length))));
  const out = Object.fromEntries(Object.entries(resource).filter(([key]) => keep(key))) as StoredResource;
  return markSubsetted(out, version);
}

function markSubsetted(resource: StoredResource, version: FhirVersion): StoredResource {
  const meta = (resource.meta ?? {}) as { tag?: unknown[] };
  const tag = [...(meta.tag ?? []), { system: SUBSETTED_SYSTEM[version], code: 'SUBSETTED' }];
  return { ...resource, meta: { ...meta, tag } };
}

function ignoredOutcome(query: SearchQuery): Record<string, unknown> {
  return {
    resourceType: 'OperationOutcome',
    issue: query.ignored.map((ignored) => ({
      severity: 'warning',
      code: 'not-supported',
      diagnostics: `${ignored.name} ignored: ${ignored.reason}`,
    })),
  };
}
