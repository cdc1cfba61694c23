/**
 * Renders a search back into a URL: the Bundle's `self` link shows the parameters the server actually
 * used (https://hl7.org/fhir/R4/search.html#conformance: "the server SHALL ... return the parameters
 * that were actually used to process the search"), so ignored ones never appear.
 */
import type { SearchParam, SearchQuery, SearchValue } from '../contracts';
import { escapeValue } from './escape';
import { encodeCursor } from './result-params';
import type { FhirVersion } from './table';
import type { TypedValue } from './types';

export interface LinkOptions {
  version: FhirVersion;
  /** Absolute base of the version's endpoint, e.g. `https://example.org/r4`. */
  baseUrl: string;
}

export function renderSearchUrl(query: SearchQuery, options: LinkOptions): string {
  const pairs = searchPairs(query, options.version);
  const encoded = pairs
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeComponent(value)}`)
    .join('&');
  return `${options.baseUrl}/${query.resourceType}${encoded ? `?${encoded}` : ''}`;
}

/** Keeps `:`, `/`, `,`, `|` and `$` readable in links; they are legal in a query component (RFC 3986 §3.4). */
export function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(/%(3A|2F|2C|7C|24)/g, (escaped) => decodeURIComponent(escaped));
}

export function searchPairs(query: SearchQuery, version: FhirVersion): [string, string][] {
  const pairs: [string, string][] = query.params.map((param) => [paramKey(param), paramValue(param)]);
  if (query.sort.length > 0) {
    if (version === 'dstu2') {
      for (const key of query.sort) pairs.push([key.descending ? '_sort:desc' : '_sort', key.name]);
    } else {
      pairs.push(['_sort', query.sort.map((key) => (key.descending ? `-${key.name}` : key.name)).join(',')]);
    }
  }
  const iterate = version === 'r4' ? ':iterate' : ':recurse';
  for (const [name, list] of [
    ['_include', query.include],
    ['_revinclude', query.revinclude],
  ] as const) {
    for (const directive of list) {
      const target = directive.targetType ? `:${directive.targetType}` : '';
      const value =
        directive.param === '*' && directive.sourceType === query.resourceType && !target
          ? '*'
          : `${directive.sourceType}:${directive.param}${target}`;
      pairs.push([`${name}${directive.iterate ? iterate : ''}`, value]);
    }
  }
  if (query.summary) pairs.push(['_summary', query.summary]);
  if (query.elements) pairs.push(['_elements', query.elements.join(',')]);
  if (query.total) pairs.push(['_total', query.total]);
  pairs.push(['_count', String(query.count)]);
  if (query.offset !== undefined) pairs.push(['_offset', String(query.offset)]);
  if (query.cursor) pairs.push(['_cursor', encodeCursor(query.cursor)]);
  return pairs;
}

function paramKey(param: SearchParam): string {
  if (param.reverse) {
    const inner = param.reverse.param;
    return `_has:${param.reverse.type}:${param.reverse.reference}:${inner.name}${inner.modifier ? `:${inner.modifier}` : ''}`;
  }
  const own = `${param.name}${param.modifier ? `:${param.modifier}` : ''}`;
  if (!param.chain) return own;
  const inner = param.chain.param;
  return `${own}.${inner.name}${inner.modifier ? `:${inner.modifier}` : ''}`;
}

function paramValue(param: SearchParam): string {
  const values = param.reverse?.param.values ?? param.chain?.param.values ?? param.values;
  return values.map(renderValue).join(',');
}

/** Re-escapes each part so that the link parses back to the same query. */
export function renderValue(value: SearchValue): string {
  const typed = value as TypedValue;
  const prefix = typed.prefix ?? '';
  switch (typed.kind) {
    case 'token':
      if (typed.typeSystem !== undefined) {
        return [typed.typeSystem, typed.typeCode ?? '', typed.code ?? ''].map(escapeValue).join('|');
      }
      if (typed.system === undefined) return escapeValue(typed.code ?? '');
      return `${escapeValue(typed.system ?? '')}|${escapeValue(typed.code ?? '')}`;
    case 'quantity': {
      const number = typed.raw.slice(prefix.length).split('|')[0] ?? '';
      if (typed.code === undefined) return `${prefix}${number}`;
      return `${prefix}${number}|${escapeValue(typed.system ?? '')}|${escapeValue(typed.code)}`;
    }
    case 'reference':
      if (typed.url !== undefined) {
        return `${escapeValue(typed.url)}${typed.version !== undefined ? `|${escapeValue(typed.version)}` : ''}`;
      }
      return escapeValue(typed.raw);
    case 'composite':
      return typed.components.map(renderValue).join('$');
    default:
      return escapeValue(typed.raw);
  }
}
