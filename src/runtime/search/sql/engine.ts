/**
 * The embedded store's search: runs a parsed `SearchQuery` as parameterised SQL over the `resources`
 * table (store/schema.ts) and the index tables, and returns one page of matches, the resources
 * `_include`/`_revinclude` add, the total, and the cursors of the neighbouring pages.
 */
import type Database from 'better-sqlite3';
import type { PageCursor, SearchParam, SearchQuery } from '../../contracts';
import { parseStored } from '../../store/stored';
import type { StoredText } from '../../store/types';
import type { FhirVersion, SearchTables } from '../table';
import {
  type ConditionContext,
  type IdSet,
  idSet,
  indexRows,
  type ParamRows,
  type RowMatch,
  readsNamedIndex,
  rowMatch,
} from './conditions';
import { intersectEnvelopes } from './date-span';
import { collectIncludes, type LoadedRow } from './includes';
import { beyond, orderBy, type SortColumn, sortColumns } from './paging';
import { type Ask, type QueryFn, runAsync, runSync, type Steps } from './runner';
import { indexSchema, ownRows } from './schema';
import { Aliases, all, type Sql, sql } from './sql';

export interface EngineOptions {
  version: FhirVersion;
  tables: SearchTables;
  /** The version's base URL: absolute references below it count as local ones. */
  baseUrl?: string;
  /** Upper bound on resources `_include`/`_revinclude` may add to one page. */
  maxIncludes?: number;
  /** The members (`system|code`) of a ValueSet, for `:in`/`:not-in`; undefined for one not known. */
  valueSet?: (url: string) => readonly string[] | undefined;
  /** The codes a code subsumes or is subsumed by, for `:above`/`:below` (see `ConditionContext`). */
  subsumed?: (system: string | undefined, code: string, direction: 'above' | 'below') => string[];
}

export interface StoredResource {
  resourceType: string;
  id: string;
  [key: string]: unknown;
}

/** One page of a search: the matches and included resources, parsed (`SearchPage`) or as stored text. */
export interface SearchPageOf<T> {
  matches: T[];
  includes: T[];
  total?: number;
  next?: PageCursor;
  previous?: PageCursor;
}

export type SearchPage = SearchPageOf<StoredResource>;

interface PageRow {
  id: string;
  [key: string]: unknown;
}

type Dialect = 'sqlite' | 'postgres';

const ask = (text: string, args: unknown[]): Ask => ({ text, args });

/** Databases whose index tables are known to exist: a search may come before the first write. */
const indexed = new WeakSet<Database.Database>();

export function searchStore(db: Database.Database, query: SearchQuery, options: EngineOptions): SearchPage {
  return mapPage(searchSqlite(db, query, options), parsed);
}

/** `searchStore` with each resource as its stored JSON text, unparsed. */
export function searchStoreText(
  db: Database.Database,
  query: SearchQuery,
  options: EngineOptions,
): SearchPageOf<StoredText> {
  return mapPage(searchSqlite(db, query, options), (row) => ({
    resourceType: row.resourceType,
    id: row.id,
    text: row.json as string,
  }));
}

function searchSqlite(db: Database.Database, query: SearchQuery, options: EngineOptions) {
  if (!indexed.has(db)) {
    // Only what is missing: the tables of an older layout are replaced by the indexer and the
    // reindex at start (indexer.ts `createIndexTables`).
    db.exec(indexSchema());
    indexed.add(db);
  }
  return runSync(db, searchSteps(query, options, 'sqlite'));
}

/** The same search on PostgreSQL: the same SQL, written in its dialect by `runAsync`. */
export async function searchPostgres(
  query: QueryFn,
  search: SearchQuery,
  options: EngineOptions,
): Promise<SearchPage> {
  return mapPage(await runAsync(query, searchSteps(search, options, 'postgres')), parsed);
}

const parsed = (row: LoadedRow) => parseStored(row.json) as StoredResource;

function mapPage<T>(page: SearchPageOf<LoadedRow>, map: (row: LoadedRow) => T): SearchPageOf<T> {
  return { ...page, matches: page.matches.map(map), includes: page.includes.map(map) };
}

/**
 * The search as a sequence of SQL statements: each `yield` hands one to the runner and receives its
 * rows, so that SQLite runs it synchronously and PostgreSQL awaits each answer, from one copy.
 */
function* searchSteps(
  query: SearchQuery,
  options: EngineOptions,
  dialect: Dialect,
): Steps<SearchPageOf<LoadedRow>> {
  const context: ConditionContext = {
    version: options.version,
    tables: options.tables,
    aliases: new Aliases(),
  };
  if (options.baseUrl !== undefined) context.baseUrl = options.baseUrl;
  if (options.valueSet !== undefined) context.valueSet = options.valueSet;
  if (options.subsumed !== undefined) context.subsumed = options.subsumed;
  context.dialect = dialect;
  const filter = candidates(query, context);
  const page: SearchPageOf<LoadedRow> = { matches: [], includes: [] };
  const countOnly = query.summary === 'count' || query.count === 0;
  const wanted = totalWanted(query);
  let total = typeof wanted === 'number' ? wanted : undefined;
  if (countOnly) {
    if (wanted === 'count') page.total = yield* count(filter, dialect);
    else if (total !== undefined) page.total = total;
    return page;
  }

  const columns = sortColumns(query.sort, query.resourceType, 'r', context);
  // SQLite counts apart, which costs it less than a window over every match (sorted once more);
  // PostgreSQL counts in the page query, as planning a second statement costs it more.
  const countInPage = wanted === 'count' && query.cursor === undefined && dialect === 'postgres';
  const { rows, more, counted } = yield* fetchPage(filter, columns, query, countInPage);
  if (wanted === 'count') {
    // A first page that holds every match has counted them already; an offset past the last match
    // returns no row to carry the count of the page query.
    const whole = query.cursor === undefined && (query.offset ?? 0) === 0 && !more;
    total = whole ? rows.length : (counted ?? (yield* count(filter, dialect)));
  }
  if (total !== undefined) page.total = total;
  page.matches = yield* loadPage(query.resourceType, rows);
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first && last) {
    const keyOf = (row: PageRow) => [
      ...columns.map((_, index) => row[`k${index}`] as string | number | null),
      row.id,
    ];
    // Walking forwards, the extra row fetched tells whether a next page exists, and having come from a
    // cursor or an offset that a previous one does; walking backwards, the other way round.
    const backwards = query.cursor?.direction === 'previous';
    const cameFrom = query.cursor !== undefined || (query.offset ?? 0) > 0;
    const carried = total === undefined ? {} : { total };
    if (backwards ? cameFrom : more) page.next = { direction: 'next', key: keyOf(last), ...carried };
    if (backwards ? more : cameFrom) page.previous = { direction: 'previous', key: keyOf(first), ...carried };
  }
  page.includes = yield* collectIncludes(query, page.matches, {
    ...options,
    maxIncludes: options.maxIncludes ?? 1000,
    dialect,
  });
  return page;
}

/**
 * The matching rows as `<source> r WHERE ...`, with column `id`; `distinct` when `r` may hold an id
 * more than once (a resource with several matching index rows). Index rows exist only for current
 * resources, so when a parameter selects ids positively the intersection of those id sets is the
 * candidate list, and the `resources` table is not scanned; the complements (`:not`,
 * `:missing=true`) filter it. Without a positive parameter every current resource of the type is a
 * candidate.
 */
interface Filter {
  from: Sql;
  distinct: boolean;
  /** `r` holds one parameter's index rows: each id once when no resource has two of them. */
  rowsOf?: ParamRows;
}

function candidates(query: SearchQuery, context: ConditionContext): Filter {
  const { merged, rest } = sameParam(query, context);
  const sets = [...merged, ...rest.map((param) => idSet(param, query.resourceType, context))];
  const positive = sets.filter((set) => !set.negate);
  const negative = sets.filter((set) => set.negate).map((set) => set.ids);
  const where = all(negative.map((ids) => ({ text: `r.id NOT IN (${ids.text})`, args: ids.args })));
  const filter = (source: Sql, distinct: boolean): Filter => ({
    from: { text: `${source.text} r WHERE ${where.text}`, args: [...source.args, ...where.args] },
    distinct,
  });
  const [only] = positive;
  if (positive.length === 1 && only?.pinned) {
    // The set names its index, so SQLite may read it straight into the page's DISTINCT and sort.
    const single = filter({ text: `(${only.ids.text})`, args: only.ids.args }, true);
    if (only.rowsOf !== undefined) single.rowsOf = only.rowsOf;
    return single;
  }
  if (positive.length > 0) {
    return filter(
      {
        text: `(${intersect(positive.map((set) => set.ids.text))})`,
        args: positive.flatMap((set) => set.ids.args),
      },
      false,
    );
  }
  return filter(
    sql('(SELECT id FROM resources WHERE resource_type = ? AND deleted = 0)', query.resourceType),
    false,
  );
}

/**
 * Repetitions of one plain parameter (`birthdate=ge1970&birthdate=le1975`) as one id set. A resource
 * matches when some row meets each condition. A resource with one row for the parameter matches when
 * that row meets them all, which one walk over the index finds; only resources with several rows
 * (those with a row numbered 1, a small partial index) are checked condition by condition. Exact, and
 * no large id sets to intersect.
 */
function sameParam(query: SearchQuery, context: ConditionContext): { merged: IdSet[]; rest: SearchParam[] } {
  const byName = new Map<string, { param: SearchParam; match: RowMatch }[]>();
  const rest: SearchParam[] = [];
  const repeated = new Map<string, number>();
  for (const param of query.params) repeated.set(param.name, (repeated.get(param.name) ?? 0) + 1);
  for (const param of query.params) {
    // A parameter given once is answered by its own id set: no row condition to build for it here.
    const once = repeated.get(param.name) === 1;
    const match = once ? undefined : rowMatch(param, query.resourceType, context);
    if (match === undefined) rest.push(param);
    else byName.set(param.name, [...(byName.get(param.name) ?? []), { param, match }]);
  }
  const merged: IdSet[] = [];
  for (const group of byName.values()) {
    const first = group[0]?.match;
    if (first === undefined) continue;
    if (group.length === 1) {
      rest.push(...group.map((entry) => entry.param));
      continue;
    }
    merged.push({
      pinned: readsNamedIndex(first.table),
      ids: oneRowOrEach(
        first.table,
        first.rowParam,
        group.map((entry) => entry.match),
        query,
        context,
      ),
      negate: false,
      rowsOf: { table: first.table, keys: [query.resourceType, first.rowParam] },
    });
  }
  return { merged, rest };
}

function oneRowOrEach(
  table: string,
  rowParam: string,
  matches: RowMatch[],
  query: SearchQuery,
  context: ConditionContext,
): Sql {
  const rowsOf = (t: string) => `${t}.resource_type = ? AND ${t}.param = ?`;
  const keys = [query.resourceType, rowParam];
  const t = context.aliases.take('t');
  const together = all(matches.map((match) => match.condition(t)));
  const m = context.aliases.take('m');
  const each = all(
    matches.map((match) => {
      const e = context.aliases.take('e');
      const condition = match.condition(e);
      return {
        text: `EXISTS (SELECT 1 FROM ${table} ${e} INDEXED BY ${ownRows(table)} WHERE ${e}.resource_type = ${m}.resource_type AND ${e}.id = ${m}.id AND ${e}.param = ${m}.param AND (${condition.text}))`,
        args: condition.args,
      };
    }),
  );
  const envelope = intersectEnvelopes(matches.map((match) => match.envelope ?? {}));
  const oneRow = indexRows(table, t, keys, together, envelope);
  return {
    text: `${oneRow.text} UNION ALL SELECT ${m}.id AS id FROM ${table} ${m} INDEXED BY ${table}_multi WHERE ${rowsOf(m)} AND ${m}.grp = 1 AND ${each.text}`,
    args: [...oneRow.args, ...keys, ...each.args],
  };
}

/**
 * A set of ids, each once: INTERSECT yields each id once; a single set needs DISTINCT, several index
 * rows may match.
 */
function intersect(sets: string[]): string {
  // MATERIALIZED keeps the set's own plan: flattened into a DISTINCT, SQLite would walk an index in
  // id order (every row of the type) instead of the one that finds the matching rows.
  if (sets.length === 1) return `WITH matched AS MATERIALIZED (${sets[0]}) SELECT DISTINCT id FROM matched`;
  return sets.map((set, index) => `SELECT id FROM (${set}) AS s${index}`).join(' INTERSECT ');
}

/**
 * The total (https://hl7.org/fhir/R4/search.html#total): counted on the first page and carried in the
 * cursors of the next/previous links, so that walking the pages counts once; `_total=accurate` and
 * `_summary=count` count on every page, `_total=none` never.
 */
function totalWanted(query: SearchQuery): number | 'count' | undefined {
  if (query.summary === 'count' || query.total === 'accurate') return 'count';
  if (query.total === 'none') return undefined;
  return query.cursor?.total ?? 'count';
}

function* count(filter: Filter, dialect: Dialect): Steps<number> {
  const rows = yield counting(filter, dialect);
  // PostgreSQL's COUNT is a bigint, which its driver hands over as a string.
  return Number(rows[0]?.n ?? 0);
}

function counting(filter: Filter, dialect: Dialect): Ask {
  const { from } = filter;
  if (!filter.distinct) return ask(`SELECT COUNT(*) AS n FROM ${from.text}`, from.args);
  const distinct = `(SELECT COUNT(*) FROM (SELECT DISTINCT r.id FROM ${from.text}) AS c)`;
  // PostgreSQL plans every statement it is sent: the set written twice would double the planning,
  // which costs it more than the DISTINCT.
  if (filter.rowsOf === undefined || dialect === 'postgres') return ask(`SELECT ${distinct} AS n`, from.args);
  // A parameter no resource has two rows of (none numbered 1, a look-up in the small partial index)
  // yields each id once: counting needs no DISTINCT, which costs as much as the walk. Asked in the
  // same statement, so that it holds for the rows counted.
  const { table, keys } = filter.rowsOf;
  return ask(
    `SELECT CASE WHEN EXISTS (SELECT 1 FROM ${table} INDEXED BY ${table}_multi WHERE resource_type = ? AND param = ? AND grp = 1) THEN ${distinct} ELSE (SELECT COUNT(*) FROM ${from.text}) END AS n`,
    [...keys, ...from.args, ...from.args],
  );
}

/** The matches with their sort keys `k0`, `k1`, ... and the rows' condition `where` (over `id` and the keys). */
function ranked(filter: Filter, columns: SortColumn[], where: Sql): Sql {
  const keys = columns.map((column, index) => `${column.expression.text} AS k${index}`);
  const select = `SELECT ${filter.distinct ? 'DISTINCT ' : ''}r.id AS id${keys.map((key) => `, ${key}`).join('')} FROM ${filter.from.text}`;
  const args = [...columns.flatMap((column) => column.expression.args), ...filter.from.args];
  // Ordered by id alone, the cursor's condition is on `r.id` and needs no enclosing query.
  if (columns.length === 0) return { text: `${select} AND ${where.text}`, args: [...args, ...where.args] };
  return { text: `SELECT * FROM (${select}) AS p WHERE ${where.text}`, args: [...args, ...where.args] };
}

/** Reads the page's resources once the ids are known, so sorting never carries documents along. */
function* loadPage(resourceType: string, rows: PageRow[]): Steps<LoadedRow[]> {
  const found = yield ask(
    'SELECT id, json FROM resources WHERE resource_type = ? AND id IN (SELECT value FROM json_each(?))',
    [resourceType, JSON.stringify(rows.map((row) => row.id))],
  );
  const byId = new Map(found.map((row) => [row.id as string, row.json]));
  return rows.flatMap((row) => {
    const json = byId.get(row.id);
    return json === undefined ? [] : [{ resourceType, id: row.id, json }];
  });
}

function* fetchPage(
  filter: Filter,
  columns: SortColumn[],
  query: SearchQuery,
  withCount: boolean,
): Steps<{ rows: PageRow[]; more: boolean; counted?: number }> {
  const backwards = query.cursor?.direction === 'previous';
  const where = query.cursor ? beyond(columns, query.cursor.key, !backwards) : sql('TRUE');
  const page = ranked(filter, columns, where);
  const offset = query.cursor ? 0 : (query.offset ?? 0);
  // COUNT(*) OVER () is computed over every match before LIMIT: the total without a second statement.
  const select = withCount ? `SELECT *, COUNT(*) OVER () AS total__ FROM (${page.text}) AS w` : page.text;
  const text = `${select} ORDER BY ${orderBy(columns, backwards)} LIMIT ? OFFSET ?`;
  const fetched = (yield ask(text, [...page.args, query.count + 1, offset])) as PageRow[];
  const more = fetched.length > query.count;
  const rows = fetched.slice(0, query.count);
  const total = fetched[0]?.total__;
  // PostgreSQL's COUNT is a bigint, which its driver hands over as a string.
  const counted = withCount && total !== undefined && total !== null ? Number(total) : undefined;
  const ordered = backwards ? rows.reverse() : rows;
  return counted === undefined ? { rows: ordered, more } : { rows: ordered, more, counted };
}
