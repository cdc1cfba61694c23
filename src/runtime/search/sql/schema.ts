/**
 * Index tables of the embedded store, beside its `resources` table (store/schema.ts) and keyed like
 * it by `(resource_type, id)`. One table per kind of value; `param` is the parameter's index key
 * (keys.ts: one set of rows for the versions whose definitions agree); `n` numbers a resource's rows
 * in a table (the rows' key, with the resource and the parameter); `grp` ties the components of one
 * composite node together.
 *
 * Every index here is read by a search's plan (EXPLAIN QUERY PLAN over the search tests) or named by
 * its `INDEXED BY`: `_find` by parameter searches, chains and counts, `_multi` by
 * repeated parameters and counts, `search_reference_target` by `_revinclude`,
 * `search_date_upper`/`_span` and `search_quantity_high` by ranges (date-span.ts).
 */
import type { IndexEntry } from '../index/entries';

export interface IndexTableSpec {
  name: string;
  /** Value columns, in insert order. */
  columns: readonly string[];
  values: (entry: IndexEntry) => (string | number | null)[];
}

export const INDEX_TABLES = {
  string: {
    name: 'search_string',
    columns: ['folded', 'exact'],
    values: (e: IndexEntry) => (e.kind === 'string' ? [e.folded, e.exact] : []),
  },
  token: {
    name: 'search_token',
    columns: ['system', 'code', 'text', 'type_system', 'type_code'],
    values: (e: IndexEntry) =>
      e.kind === 'token' ? [e.system, e.code, e.text, e.typeSystem, e.typeCode] : [],
  },
  date: {
    name: 'search_date',
    columns: ['low', 'high'],
    values: (e: IndexEntry) => (e.kind === 'date' ? [e.low, e.high] : []),
  },
  number: {
    name: 'search_number',
    columns: ['value'],
    values: (e: IndexEntry) => (e.kind === 'number' ? [e.value] : []),
  },
  quantity: {
    name: 'search_quantity',
    columns: ['low', 'high', 'system', 'code', 'unit'],
    values: (e: IndexEntry) => (e.kind === 'quantity' ? [e.low, e.high, e.system, e.code, e.unit] : []),
  },
  reference: {
    name: 'search_reference',
    columns: ['target_type', 'target_id', 'url', 'version'],
    values: (e: IndexEntry) => (e.kind === 'reference' ? [e.targetType, e.targetId, e.url, e.version] : []),
  },
  uri: {
    name: 'search_uri',
    columns: ['value'],
    values: (e: IndexEntry) => (e.kind === 'uri' ? [e.value] : []),
  },
} as const satisfies Record<IndexEntry['kind'], IndexTableSpec>;

export type IndexKind = keyof typeof INDEX_TABLES;

/** The lookup columns each table is searched by, after `(resource_type, param)`. */
const LOOKUP: Record<IndexKind, string> = {
  string: 'folded',
  token: 'code',
  date: 'low',
  number: 'value',
  quantity: 'low',
  reference: 'target_id',
  uri: 'value',
};

/** Columns a match compares besides the lookup column, carried in the indexes so that searches never read table rows. */
const COVERED: Record<IndexKind, string> = {
  string: 'exact',
  token: 'system',
  date: 'high',
  number: 'grp',
  quantity: 'high, system, code, unit',
  reference: 'target_type, url',
  uri: 'grp',
};

/** Indexes of earlier releases, replaced by the covering ones below. */
const REPLACED = ['lookup', 'owner'];

/**
 * The same tables in SQLite and PostgreSQL. PostgreSQL's text columns compare bytewise (`COLLATE "C"`),
 * as SQLite's do, so that prefixes, ranges and sort orders agree; its REAL is single precision, so
 * numbers are DOUBLE PRECISION there.
 */
export function indexSchema(dialect: 'sqlite' | 'postgres' = 'sqlite'): string {
  const text = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const real = dialect === 'postgres' ? 'DOUBLE PRECISION' : 'REAL';
  const statements: string[] = [OLD_LAYOUT[dialect]];
  for (const [kind, spec] of Object.entries(INDEX_TABLES) as [IndexKind, IndexTableSpec][]) {
    const columns = spec.columns.map((column) => `${column} ${isNumeric(kind, column) ? real : text}`);
    const keyed = `resource_type ${text} NOT NULL, id ${text} NOT NULL, param ${text} NOT NULL, n INTEGER NOT NULL, grp INTEGER NOT NULL, ${columns.join(', ')}`;
    statements.push(
      // SQLite keeps the rows in the order of their resource (WITHOUT ROWID, keyed by resource, parameter
      // and row number `n`): the delete on each write (resource_type, id) and the per-resource sort
      // keys read them in place, with no index of their own, which would hold every row once more.
      // PostgreSQL has no such tables: an index does it there.
      dialect === 'sqlite'
        ? `CREATE TABLE IF NOT EXISTS ${spec.name} (${keyed}, PRIMARY KEY (resource_type, id, param, n)) WITHOUT ROWID;`
        : `CREATE TABLE IF NOT EXISTS ${spec.name} (${keyed});`,
      ...REPLACED.map((suffix) => `DROP INDEX IF EXISTS ${spec.name}_${suffix};`),
      // Covering: a parameter's id set (and COUNT over it) is read from the index alone.
      `CREATE INDEX IF NOT EXISTS ${spec.name}_find ON ${spec.name} (resource_type, param, ${LOOKUP[kind]}, ${COVERED[kind]}, id);`,
      // The resources with several rows for a parameter, a small set (sql/engine.ts `sameParam`).
      `CREATE INDEX IF NOT EXISTS ${spec.name}_multi ON ${spec.name} (resource_type, param, id) WHERE grp = 1;`,
      ...(dialect === 'postgres'
        ? [
            `CREATE INDEX IF NOT EXISTS ${spec.name}_own ON ${spec.name} (resource_type, id, param, ${sortColumnsOf(kind)});`,
          ]
        : []),
    );
  }
  statements.push(
    'CREATE INDEX IF NOT EXISTS search_reference_target ON search_reference (target_type, target_id, param);',
    // `gt`/`ge` compare the upper end of date and quantity ranges.
    'DROP INDEX IF EXISTS search_date_high;',
    'CREATE INDEX IF NOT EXISTS search_date_upper ON search_date (resource_type, param, high, low, id);',
    // The width of date ranges: the widest narrow row, and the wide rows (date-span.ts).
    'CREATE INDEX IF NOT EXISTS search_date_span ON search_date (resource_type, param, (high - low), low, high, id);',
    'CREATE INDEX IF NOT EXISTS search_quantity_high ON search_quantity (resource_type, param, high);',
  );
  return statements.join('\n');
}

const TABLE_NAMES = Object.values(INDEX_TABLES).map((spec) => spec.name);

/**
 * The SQLite name of a table's rows in resource order (its primary key), for `INDEXED BY`: SQLite
 * without statistics would otherwise read a parameter's rows through `_find`. The runner drops
 * `INDEXED BY` for PostgreSQL, which reads its `_own` index.
 */
export const ownRows = (table: string): string => `sqlite_autoindex_${table}_1`;

/**
 * Releases before index keys kept one set of rows per FHIR version, told apart by a `v` column, in
 * tables without the row number `n`: those tables are dropped, and the server indexes every resource
 * again at start (app/search.ts `reindexIfStale`, whose fingerprint changes with the index format).
 * SQLite has no conditional DDL; `createIndexTables` asks first.
 */
const OLD_LAYOUT = {
  sqlite: '',
  postgres: `DO $$ BEGIN IF to_regclass('search_string') IS NOT NULL AND NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'search_string' AND column_name = 'n') THEN DROP TABLE IF EXISTS ${TABLE_NAMES.join(', ')}; END IF; END $$;`,
};

/** SQLite: whether the index tables have the layout of releases before index keys (see `OLD_LAYOUT`). */
export function oldLayoutDrops(columnsOfStringTable: readonly string[]): string | undefined {
  if (columnsOfStringTable.length === 0 || columnsOfStringTable.includes('n')) return undefined;
  return TABLE_NAMES.map((name) => `DROP TABLE IF EXISTS ${name};`).join('\n');
}

/** The columns `_sort` reads (paging.ts). */
function sortColumnsOf(kind: IndexKind): string {
  switch (kind) {
    case 'date':
    case 'quantity':
      return 'low, high';
    case 'reference':
      return 'target_type, target_id';
    default:
      return LOOKUP[kind];
  }
}

export function isNumeric(kind: IndexKind, column: string): boolean {
  return (
    kind === 'date' || kind === 'number' || (kind === 'quantity' && (column === 'low' || column === 'high'))
  );
}
