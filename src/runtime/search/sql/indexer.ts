/**
 * Keeps the index tables in step with the store: `createSearchIndexer` returns the store's write hook
 * (store/sqlite-store.ts `StoreWriteHook`), which runs inside the write's transaction, so a resource
 * and its index rows are always committed together.
 */
import type Database from 'better-sqlite3';
import { createEvaluator, type Evaluate } from '../index/evaluate';
import { type ExtractProblem, extractRows } from '../index/extract';
import { type FhirVersion, lookupTable, type SearchTables } from '../table';
import { INDEX_TABLES, type IndexKind, type IndexTableSpec, indexSchema } from './schema';

/** What the indexer needs from a store write: the shape of `StoreWriteEvent`. */
export interface IndexedWrite {
  kind: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  resource?: unknown;
}

export interface IndexerOptions {
  /** The tables of each version the server mounts; a resource is indexed once per version that defines its type. */
  versions: Partial<Record<FhirVersion, SearchTables>>;
  /** Told about expressions that failed on a resource (the write still succeeds). */
  onProblem?: (write: IndexedWrite, version: FhirVersion, problem: ExtractProblem) => void;
}

export type IndexHook = (write: IndexedWrite, db: Database.Database) => void;

/** One index row: its table's kind, and the values of `v, resource_type, id, param, grp` and the table's columns. */
export interface IndexRow {
  kind: IndexKind;
  values: (string | number | null)[];
}

/** The index rows of one write (none for a deletion), for stores that write them themselves (PostgreSQL). */
export type IndexRowsOf = (write: IndexedWrite) => IndexRow[];

export function createSearchIndexer(options: IndexerOptions): IndexHook {
  const rowsOf = createIndexRows(options);
  const prepared = new WeakMap<Database.Database, Statements>();
  return (write, db) => {
    let statements = prepared.get(db);
    if (!statements) {
      statements = prepareStatements(db);
      prepared.set(db, statements);
    }
    for (const remove of statements.remove) remove.run(write.resourceType, write.id);
    for (const row of rowsOf(write)) statements.insert[row.kind].run(...row.values);
  };
}

/** The FHIRPath extraction shared by both stores: what rows a write leaves in the index tables. */
export function createIndexRows(options: IndexerOptions): IndexRowsOf {
  const evaluators = new Map<FhirVersion, Evaluate>();
  return (write) => {
    const out: IndexRow[] = [];
    if (write.kind === 'delete' || write.resource === undefined) return out;
    for (const [version, tables] of Object.entries(options.versions) as [FhirVersion, SearchTables][]) {
      const table = lookupTable(tables, write.resourceType);
      if (!table) continue;
      let evaluate = evaluators.get(version);
      if (!evaluate) {
        evaluate = createEvaluator(version);
        evaluators.set(version, evaluate);
      }
      const { rows, problems } = extractRows(write.resource, table, evaluate);
      for (const problem of problems) options.onProblem?.(write, version, problem);
      for (const row of rows) {
        const spec: IndexTableSpec = INDEX_TABLES[row.entry.kind];
        out.push({
          kind: row.entry.kind,
          values: [version, write.resourceType, write.id, row.param, row.group, ...spec.values(row.entry)],
        });
      }
    }
    return out;
  };
}

/**
 * Indexes every current resource again, in one transaction: for a store that holds data written
 * before the indexer was plugged in, or after the search tables changed (a regenerated project).
 */
export function reindexStore(db: Database.Database, hook: IndexHook): number {
  const rows = db.prepare('SELECT resource_type, id, json FROM resources WHERE deleted = 0').all() as {
    resource_type: string;
    id: string;
    json: string;
  }[];
  db.transaction(() => {
    for (const row of rows) {
      hook(
        { kind: 'update', resourceType: row.resource_type, id: row.id, resource: JSON.parse(row.json) },
        db,
      );
    }
  })();
  return rows.length;
}

/** Creates the index tables; the hook calls it itself, but a store may call it up front. */
export function createIndexTables(db: Database.Database): void {
  db.exec(indexSchema());
}

interface Statements {
  remove: Database.Statement[];
  insert: Record<keyof typeof INDEX_TABLES, Database.Statement>;
}

function prepareStatements(db: Database.Database): Statements {
  createIndexTables(db);
  const specs = Object.entries(INDEX_TABLES) as [keyof typeof INDEX_TABLES, IndexTableSpec][];
  const remove = specs.map(([, spec]) =>
    db.prepare(`DELETE FROM ${spec.name} WHERE resource_type = ? AND id = ?`),
  );
  const insert = Object.fromEntries(
    specs.map(([kind, spec]) => {
      const columns = ['v', 'resource_type', 'id', 'param', 'grp', ...spec.columns];
      const sql = `INSERT INTO ${spec.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      return [kind, db.prepare(sql)];
    }),
  ) as Statements['insert'];
  return { remove, insert };
}
