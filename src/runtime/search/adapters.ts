/**
 * Plugs the search module into the server core's seams: `SearchParser` (http/search-parser.ts), the
 * store's write hook and `StoreSearchEngine` (store/sqlite-store.ts). Problems become the
 * OperationOutcomes the search page asks for: 400 naming each parameter (search.html#errors).
 */
import type { SearchQuery } from '../contracts';
import type { SearchParseInput, SearchParser } from '../http/search-parser';
import { FhirHttpError, issue } from '../outcome';
import type { SearchSource, StoreSearchEngine } from '../store/sqlite-store';
import type { SearchContext, StoreSearchResult } from '../store/types';
import { elementListsOf, pageLinks, shape } from './bundle';
import { parseSearch } from './parse';
import {
  type EngineOptions,
  type SearchPage,
  type SearchPageOf,
  searchPostgres,
  searchStore,
  searchStoreText,
} from './sql/engine';
import { SearchUnsupportedError } from './sql/match';
import type { FhirVersion, SearchTables } from './table';
import { createTerminology, type TerminologySource } from './terminology';

export interface SearchModuleOptions {
  /** The tables of each mounted version, keyed by the binding id (`r4`, `stu3`, `dstu2`). */
  versions: Partial<Record<FhirVersion, SearchTables>>;
  defaultCount: number;
  maxCount: number;
}

export function createSearchParser(options: SearchModuleOptions): SearchParser {
  return {
    parse(input: SearchParseInput) {
      const version = input.binding.id as FhirVersion;
      const tables = options.versions[version];
      if (!tables) throw new FhirHttpError(500, `no search tables for FHIR version ${input.binding.id}`);
      const result = parseSearch(input.resourceType, input.params, {
        version,
        tables,
        defaultCount: options.defaultCount,
        maxCount: options.maxCount,
        lenient: input.lenient,
      });
      if (!result.ok) {
        throw new FhirHttpError(
          400,
          result.issues.map((problem) =>
            issue('error', 'invalid', `${problem.param}: ${problem.message}`, [problem.param]),
          ),
        );
      }
      return result.query;
    },
  };
}

/**
 * The store's search engine for a store shared by several versions: each search runs with the tables
 * of the endpoint it came through (`SearchContext.version`).
 */
export function createVersionedSearchEngine(
  versions: Partial<Record<FhirVersion, SearchTables>>,
  terminology: Partial<Record<FhirVersion, TerminologySource>> = {},
): StoreSearchEngine {
  const engines = new Map<string, StoreSearchEngine>();
  for (const [version, tables] of Object.entries(versions) as [FhirVersion, SearchTables][]) {
    engines.set(version, createStoreSearchEngine(version, tables, undefined, terminology[version]));
  }
  const engineOf = (context: SearchContext | undefined) => {
    const engine = context === undefined ? undefined : engines.get(context.version);
    if (engine === undefined)
      throw new FhirHttpError(500, `no search tables for FHIR version ${context?.version}`);
    return engine;
  };
  return {
    search: (query, store, context) => engineOf(context).search(query, store, context),
    searchText: (query, db, context) => engineOf(context).searchText?.(query, db, context),
  };
}

/**
 * The store's search engine for one version's tables. `StoreSearchEngine.search` is not told the
 * version; a store shared by several versions answers with the tables of `version`.
 */
export function createStoreSearchEngine(
  version: FhirVersion,
  tables: SearchTables,
  baseUrl?: string,
  terminologySource?: TerminologySource,
): StoreSearchEngine {
  // `_summary` and `_elements` trim the matches; included resources stay whole (search.html#summary).
  const shapeOptions = { version, baseUrl: '', ...elementListsOf(tables) };
  const terminology = terminologySource === undefined ? undefined : createTerminology(terminologySource);
  const optionsFor = (context: SearchContext | undefined): EngineOptions => {
    const base = baseUrl ?? context?.baseUrl;
    const options: EngineOptions =
      base === undefined ? { version, tables } : { version, tables, baseUrl: base };
    if (terminology !== undefined) {
      options.valueSet = terminology.valueSet;
      options.subsumed = terminology.subsumed;
    }
    return options;
  };
  const answer = <T>(query: SearchQuery, page: SearchPageOf<T>, match: T[], options: EngineOptions) => {
    const result: Omit<StoreSearchResult, 'match' | 'include'> & { match: T[]; include: T[] } = {
      match,
      include: page.includes,
    };
    if (page.total !== undefined) result.total = page.total;
    // The core adds `self`; paging goes by the engine's cursors, not by `_offset`.
    const base = options.baseUrl;
    if (base !== undefined) result.links = pageLinks(query, page, { version, baseUrl: base });
    return result;
  };
  return {
    search(query, source: SearchSource, context) {
      const options = optionsFor(context);
      const parsedAnswer = (page: SearchPage): StoreSearchResult => {
        const match = shaping(query)
          ? page.matches.map((resource) => shape(resource, query, shapeOptions))
          : page.matches;
        return answer(query, page, match, options);
      };
      // SQLite answers synchronously; PostgreSQL with a promise. Both refuse alike.
      if (source.kind === 'postgres') {
        return searchPostgres(source.query, query, options).then(parsedAnswer, (error: unknown) => {
          throw unsupported(error);
        });
      }
      try {
        return parsedAnswer(searchStore(source.db, query, options));
      } catch (error) {
        throw unsupported(error);
      }
    },
    searchText(query, db, context) {
      if (shaping(query)) return undefined;
      const options = optionsFor(context);
      try {
        const page = searchStoreText(db, query, options);
        return answer(query, page, page.matches, options);
      } catch (error) {
        throw unsupported(error);
      }
    },
  };
}

/** Whether `_summary` or `_elements` reshape the matches. */
function shaping(query: SearchQuery): boolean {
  return query.elements !== undefined || (query.summary !== undefined && query.summary !== 'false');
}

function unsupported(error: unknown): unknown {
  if (error instanceof SearchUnsupportedError) {
    return new FhirHttpError(400, [issue('error', 'not-supported', error.message, [error.param])]);
  }
  return error;
}
