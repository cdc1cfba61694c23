/**
 * How much the store holds, per resource type: current resources, deleted ones, versions, bytes of
 * the current versions' JSON and of the older versions as stored, and search index rows; per table, its rows and (where the database
 * can tell) its bytes with its indexes; for SQLite, the file's size. Read-only, and written against
 * what any store keeps (`resources`, `resource_history`): index tables are found as the other tables
 * with a `resource_type` column, so that a change to the search index's tables needs no change here.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { PostgresStore } from '../store/postgres-store';
import type { SqliteStore } from '../store/sqlite-store';
import type { ResourceStore } from '../store/types';

export interface TypeStats {
  resourceType: string;
  /** Current, not deleted. */
  resources: number;
  deleted: number;
  /** Every version kept, deletions included. */
  versions: number;
  /** JSON text of the current versions, in bytes (UTF-8). */
  jsonBytes: number;
  /**
   * Bytes of the older versions: the current version's text is kept once (in `resources`, counted
   * in `jsonBytes`); on SQLite older ones as stored, deflated where that pays; on PostgreSQL (jsonb,
   * which the database compresses itself) the length of their JSON text.
   */
  olderVersionBytes: number;
  /** Rows in the search index tables. */
  indexRows: number;
}

export interface TableStats {
  name: string;
  rows: number;
  /** The table's pages and its indexes' (SQLite `dbstat`, PostgreSQL `pg_total_relation_size`); absent when unknown. */
  bytes?: number;
}

export interface StoreStats {
  kind: 'sqlite' | 'postgres';
  types: TypeStats[];
  tables: TableStats[];
  /** SQLite: the database file and its write-ahead log. */
  fileBytes?: number;
}

type Row = Record<string, unknown>;

/** The SQL a store speaks, and what differs between the two. */
interface Source {
  all(sql: string): Promise<Row[]>;
  /** An expression for the UTF-8 bytes of a `json` column. */
  bytes: string;
  /** Names of the tables holding a `resource_type` column. */
  typedTables(): Promise<string[]>;
  tableBytes(): Promise<Map<string, number> | undefined>;
}

const STORE_TABLES = new Set(['resources', 'resource_history']);

export async function storeStats(store: ResourceStore): Promise<StoreStats> {
  const source =
    store.kind === 'sqlite'
      ? sqliteSource((store as SqliteStore).db)
      : postgresSource(store as PostgresStore);
  const types = new Map<string, TypeStats>();
  const typeOf = (resourceType: string) => {
    let stats = types.get(resourceType);
    if (stats === undefined) {
      stats = {
        resourceType,
        resources: 0,
        deleted: 0,
        versions: 0,
        jsonBytes: 0,
        olderVersionBytes: 0,
        indexRows: 0,
      };
      types.set(resourceType, stats);
    }
    return stats;
  };
  for (const row of await source.all(
    `SELECT resource_type, SUM(1 - deleted) AS live, SUM(deleted) AS deleted, SUM(COALESCE(${source.bytes}, 0)) AS bytes FROM resources GROUP BY resource_type`,
  )) {
    const stats = typeOf(String(row.resource_type));
    stats.resources = Number(row.live);
    stats.deleted = Number(row.deleted);
    stats.jsonBytes = Number(row.bytes);
  }
  for (const row of await source.all(
    `SELECT resource_type, COUNT(*) AS versions, SUM(COALESCE(${source.bytes}, 0)) AS bytes FROM resource_history GROUP BY resource_type`,
  )) {
    const stats = typeOf(String(row.resource_type));
    stats.versions = Number(row.versions);
    stats.olderVersionBytes = Number(row.bytes);
  }
  const bytes = await source.tableBytes();
  const tables: TableStats[] = [];
  for (const name of (await source.typedTables()).sort()) {
    let rows = 0;
    for (const row of await source.all(
      `SELECT resource_type, COUNT(*) AS n FROM ${name} GROUP BY resource_type`,
    )) {
      rows += Number(row.n);
      if (!STORE_TABLES.has(name)) typeOf(String(row.resource_type)).indexRows += Number(row.n);
    }
    const table: TableStats = { name, rows };
    const size = bytes?.get(name);
    if (size !== undefined) table.bytes = size;
    tables.push(table);
  }
  const stats: StoreStats = {
    kind: store.kind,
    types: [...types.values()].sort((a, b) => a.resourceType.localeCompare(b.resourceType)),
    tables,
  };
  if (store.kind === 'sqlite') stats.fileBytes = fileBytes((store as SqliteStore).db);
  return stats;
}

function sqliteSource(db: Database.Database): Source {
  return {
    all: async (sql) => db.prepare(sql).all() as Row[],
    bytes: 'LENGTH(CAST(json AS BLOB))',
    async typedTables() {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[];
      return tables
        .map((table) => table.name)
        .filter((name) =>
          (db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as { name: string }[]).some(
            (column) => column.name === 'resource_type',
          ),
        );
    },
    async tableBytes() {
      // dbstat is compiled into better-sqlite3's SQLite (SQLITE_ENABLE_DBSTAT_VTAB); a build without it
      // leaves table sizes out rather than failing (https://sqlite.org/dbstat.html).
      try {
        const rows = db
          .prepare(
            `SELECT m.tbl_name AS name, SUM(s.pgsize) AS bytes FROM dbstat AS s
             JOIN sqlite_master AS m ON m.name = s.name GROUP BY m.tbl_name`,
          )
          .all() as { name: string; bytes: number }[];
        return new Map(rows.map((row) => [row.name, row.bytes]));
      } catch {
        return undefined;
      }
    },
  };
}

function postgresSource(store: PostgresStore): Source {
  const all = async (sql: string) => {
    await store.ping();
    return (await store.pool.query(sql)).rows as Row[];
  };
  return {
    all,
    bytes: 'octet_length(json::text)',
    async typedTables() {
      const rows = await all(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'resource_type'",
      );
      return rows.map((row) => String(row.table_name));
    },
    async tableBytes() {
      const rows = await all(
        "SELECT relname AS name, pg_total_relation_size(oid) AS bytes FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace",
      );
      return new Map(rows.map((row) => [String(row.name), Number(row.bytes)]));
    },
  };
}

function fileBytes(db: Database.Database): number | undefined {
  if (db.memory) return undefined;
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  return size(db.name) + size(`${db.name}-wal`);
}
