/**
 * The search parser: the query of a GET or the form body of a POST `_search`, in order with repeated
 * keys kept, becomes a typed `SearchQuery` (https://hl7.org/fhir/R4/search.html). Repetitions of a
 * parameter are ANDed, comma-separated values ORed (search.html#combining). Problems name the parameter;
 * with `Prefer: handling=lenient` (search.html#errors) they are dropped and listed in `ignored`.
 */
import type { SearchQuery } from '../contracts';
import { parseSearchParam } from './param-parser';
import {
  type Parsed,
  parseCount,
  parseCursor,
  parseElements,
  parseInclude,
  parseOffset,
  parseSort,
  parseSummary,
  parseTotal,
} from './result-params';
import { VERSION_RULES, type VersionRules } from './rules';
import { lookupParam, lookupTable, type SearchTable } from './table';
import type { SearchIssue, SearchOptions } from './types';

export type SearchParseResult = { ok: true; query: SearchQuery } | { ok: false; issues: SearchIssue[] };

/** Parameters about the HTTP response, handled before search (https://hl7.org/fhir/R4/http.html#parameters). */
const TRANSPORT_PARAMS = new Set(['_format', '_pretty']);

/** Splits a query string or an `application/x-www-form-urlencoded` body, keeping order and repeats. */
export function readQueryPairs(text: string): [string, string][] {
  return [...new URLSearchParams(text.startsWith('?') ? text.slice(1) : text)];
}

export function parseSearch(
  resourceType: string,
  pairs: readonly (readonly [string, string])[],
  options: SearchOptions,
): SearchParseResult {
  const table = lookupTable(options.tables, resourceType);
  if (!table)
    return { ok: false, issues: [{ param: '', message: `'${resourceType}' is not a resource type` }] };
  const rules = VERSION_RULES[options.version];
  const query: SearchQuery = {
    resourceType,
    params: [],
    count: Math.min(options.defaultCount, options.maxCount),
    sort: [],
    include: [],
    revinclude: [],
    ignored: [],
  };
  const issues: SearchIssue[] = [];
  const seen = new Set<string>();
  for (const [key, value] of pairs) {
    if (TRANSPORT_PARAMS.has(key)) continue;
    // search.html#errors: a parameter with an empty value is ignored.
    if (value === '') continue;
    const problem = applyPair(query, key, value, { table, options, rules, seen });
    if (problem !== undefined) issues.push({ param: key, message: problem });
  }
  if (issues.length > 0 && !options.lenient) return { ok: false, issues };
  query.ignored = issues.map((issue) => ({ name: issue.param, reason: issue.message }));
  return { ok: true, query };
}

interface PairContext {
  table: SearchTable;
  options: SearchOptions;
  rules: VersionRules;
  /** Result parameters that may appear once. */
  seen: Set<string>;
}

/** Applies one key=value to the query; returns a message when it cannot. */
function applyPair(query: SearchQuery, key: string, value: string, context: PairContext): string | undefined {
  const colon = key.indexOf(':');
  const name = colon < 0 ? key : key.slice(0, colon);
  const modifier = colon < 0 ? undefined : key.slice(colon + 1);
  if (RESULT_PARAMS.has(name)) {
    if (
      name !== '_include' &&
      name !== '_revinclude' &&
      !(name === '_sort' && context.rules.sortStyle === 'modifier')
    ) {
      if (context.seen.has(name)) return `${name} may appear only once`;
      if (modifier !== undefined && name !== '_sort') return `${name} takes no modifier`;
    }
    context.seen.add(name);
    return applyResultParam(query, name, modifier, value, context);
  }
  const parsed = parseSearchParam(key, value, {
    table: context.table,
    tables: context.options.tables,
    rules: context.rules,
  });
  if (!parsed.ok) return parsed.message;
  query.params.push(parsed.param);
  return undefined;
}

const RESULT_PARAMS = new Set([
  '_count',
  '_offset',
  '_cursor',
  '_sort',
  '_include',
  '_revinclude',
  '_summary',
  '_elements',
  '_total',
]);

function applyResultParam(
  query: SearchQuery,
  name: string,
  modifier: string | undefined,
  value: string,
  context: PairContext,
): string | undefined {
  const { options, rules, table } = context;
  const set = <T>(parsed: Parsed<T>, assign: (value: T) => void): string | undefined => {
    if (!parsed.ok) return parsed.message;
    assign(parsed.value);
    return undefined;
  };
  switch (name) {
    case '_count':
      return set(parseCount(value, options.maxCount), (count) => {
        query.count = count;
      });
    case '_offset':
      return set(parseOffset(value), (offset) => {
        query.offset = offset;
      });
    case '_cursor':
      return set(parseCursor(value), (cursor) => {
        query.cursor = cursor;
      });
    case '_sort':
      return set(
        parseSort(value, modifier, rules, (key) => isSortable(table, key)),
        (keys) => {
          query.sort.push(...keys);
        },
      );
    case '_include':
    case '_revinclude': {
      const reverse = name === '_revinclude';
      const parsed = parseInclude(value, modifier, reverse, table.resourceType, options.tables, rules);
      return set(parsed, (directive) => (reverse ? query.revinclude : query.include).push(directive));
    }
    case '_summary':
      return set(parseSummary(value), (summary) => {
        query.summary = summary;
      });
    case '_elements':
      return set(parseElements(value), (elements) => {
        query.elements = elements;
      });
    default:
      if (!rules.total) return '_total is not defined in this FHIR version';
      return set(parseTotal(value), (total) => {
        query.total = total;
      });
  }
}

/** Any parameter with a single ordered value can sort; composites and specials cannot (search.html#sort). */
function isSortable(table: SearchTable, name: string): boolean {
  const def = lookupParam(table, name);
  return def !== undefined && def.type !== 'composite' && def.type !== 'special';
}
