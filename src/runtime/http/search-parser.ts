/**
 * The seam to the search module: the server hands the query string of a search to a `SearchParser`
 * and the typed `SearchQuery` it returns to the service. `basicSearchParser` is the fallback used
 * when no parser is configured: it knows the parameter names and types of the version's tables,
 * splits OR values and keeps AND repetitions (https://hl7.org/fhir/R4/search.html#combining), but
 * parses no prefixes; unknown parameters are 400 unless `Prefer: handling=lenient`.
 */
import type { VersionBinding } from '../binding';
import type { SearchParam, SearchQuery } from '../contracts';
import { FhirHttpError } from '../outcome';

export interface SearchParseInput {
  resourceType: string;
  /** Query parameters in order, repeated names kept; for POST `_search`, the form body's parameters too. */
  params: [string, string][];
  lenient: boolean;
  binding: VersionBinding;
}

export interface SearchParser {
  /** Throws `FhirHttpError(400)` naming the parameter for an unknown or malformed one (unless lenient). */
  parse(input: SearchParseInput): SearchQuery;
}

/** Parameters about the response, not the search (https://hl7.org/fhir/R4/http.html#parameters). */
const IGNORED = new Set(['_format', '_pretty']);
const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;

export const basicSearchParser: SearchParser = {
  parse({ resourceType, params, lenient, binding }) {
    const query: SearchQuery = {
      resourceType,
      params: [],
      count: DEFAULT_COUNT,
      sort: [],
      include: [],
      revinclude: [],
      ignored: [],
    };
    const defs = binding.searchParams[resourceType] ?? [];
    for (const [rawName, value] of params) {
      if (IGNORED.has(rawName)) continue;
      if (rawName === '_count' || rawName === '_offset') {
        const number = Number(value);
        if (!/^[0-9]+$/.test(value) || (rawName === '_count' && number < 1)) {
          throw new FhirHttpError(400, `${rawName}=${value} is not a valid number`);
        }
        if (rawName === '_count') query.count = Math.min(number, MAX_COUNT);
        else query.offset = number;
        continue;
      }
      const [name = '', modifier] = rawName.split(':', 2);
      const def =
        name === '_id' ? { name: '_id', type: 'token' as const } : defs.find((entry) => entry.name === name);
      if (def === undefined || (name.startsWith('_') && name !== '_id')) {
        const reason = `unknown search parameter for ${resourceType}`;
        if (!lenient) throw new FhirHttpError(400, `${rawName}: ${reason}`);
        query.ignored.push({ name: rawName, reason });
        continue;
      }
      const param: SearchParam = { name, type: def.type, values: splitOr(value).map((raw) => ({ raw })) };
      if (modifier !== undefined) param.modifier = modifier;
      query.params.push(param);
    }
    return query;
  },
};

/** Splits on commas not escaped as `\,` (https://hl7.org/fhir/R4/search.html#escaping). */
function splitOr(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === '\\' && i + 1 < value.length) {
      current += value[i + 1];
      i++;
    } else if (char === ',') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}
