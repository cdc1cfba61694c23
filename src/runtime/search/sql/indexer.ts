/**
 * Keeps the index tables in step with the store: `createSearchIndexer` returns the store's write hook
 * (store/sqlite-store.ts `StoreWriteHook`), which runs inside the write's transaction, so a resource
 * and its index rows are always committed together.
 */
import type Database from 'better-sqlite3';
import type { IndexRow as ExtractedRow } from '../index/entries';
import { createCompiledEvaluator, type Evaluate } from '../index/evaluate';
import { type ExtractProblem, extractParam, identifierParam } from '../index/extract';
import { type FhirVersion, lookupTable, type SearchParamDef, type SearchTables } from '../table';
import { identifierKey, indexKey } from './keys';
import { INDEX_TABLES, type IndexKind, type IndexTableSpec, indexSchema, oldLayoutDrops } from './schema';

/** What the indexer needs from a store write: the shape of `StoreWriteEvent`. */
export interface IndexedWrite {
  kind: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  resource?: unknown;
}

export interface IndexerOptions {
  /** The tables of each version the server mounts; a resource is indexed once, for all of them (keys.ts). */
  versions: Partial<Record<FhirVersion, SearchTables>>;
  /** Told about expressions that failed on a resource (the write still succeeds). */
  onProblem?: (write: IndexedWrite, version: FhirVersion, problem: ExtractProblem) => void;
}

export type IndexHook = (write: IndexedWrite, db: Database.Database) => void;

/** One index row: its table's kind, and the values of `resource_type, id, param, n, grp` and the table's columns. */
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
    // A created resource has no rows yet (a deletion removed those of an earlier one with its id).
    if (write.kind !== 'create') {
      for (const remove of statements.remove) remove.run(write.resourceType, write.id);
    }
    const byKind = new Map<IndexKind, IndexRow[]>();
    for (const row of rowsOf(write)) {
      const rows = byKind.get(row.kind);
      if (rows) rows.push(row);
      else byKind.set(row.kind, [row]);
    }
    for (const [kind, rows] of byKind) statements.insert(kind, rows);
  };
}

/**
 * The extraction shared by both stores: what rows a write leaves in the index tables. A resource is
 * indexed once, whichever versions define its type: each parameter under its key (keys.ts), the
 * definitions that several versions share evaluated once.
 */
export function createIndexRows(options: IndexerOptions): IndexRowsOf {
  const evaluators = new Map<FhirVersion, Evaluate>();
  const evaluatorOf = (version: FhirVersion) => {
    let evaluate = evaluators.get(version);
    if (!evaluate) {
      evaluate = createCompiledEvaluator(version);
      evaluators.set(version, evaluate);
    }
    return evaluate;
  };
  const plans = new Map<string, PlannedParam[]>();
  const planOf = (resourceType: string) => {
    let plan = plans.get(resourceType);
    if (!plan) {
      plan = planParams(options.versions, resourceType);
      plans.set(resourceType, plan);
    }
    return plan;
  };
  return (write) => {
    const out: IndexRow[] = [];
    if (write.kind === 'delete' || write.resource === undefined) return out;
    // `n` numbers a write's rows in each table: with the resource and parameter, the rows' key.
    const numbered: Record<string, number> = {};
    for (const { version, def, key } of planOf(write.resourceType)) {
      let rows: ExtractedRow[];
      try {
        rows = extractParam(write.resource, def, evaluatorOf(version));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        options.onProblem?.(write, version, { param: def.code, message });
        continue;
      }
      for (const row of rows) {
        const spec: IndexTableSpec = INDEX_TABLES[row.entry.kind];
        const n = (numbered[row.entry.kind] ?? -1) + 1;
        numbered[row.entry.kind] = n;
        out.push({
          kind: row.entry.kind,
          values: [
            write.resourceType,
            write.id,
            rowKey(def, key, row.param),
            n,
            row.group,
            ...spec.values(row.entry),
          ],
        });
      }
    }
    return out;
  };
}

interface PlannedParam {
  version: FhirVersion;
  def: SearchParamDef;
  key: string;
}

/** The parameters a resource type is indexed by: each key once, from the first version that has it. */
function planParams(versions: IndexerOptions['versions'], resourceType: string): PlannedParam[] {
  const plan: PlannedParam[] = [];
  const keys = new Set<string>();
  for (const [version, tables] of Object.entries(versions) as [FhirVersion, SearchTables][]) {
    const table = lookupTable(tables, resourceType);
    if (!table) continue;
    for (const def of Object.values(table.params)) {
      if (def.unsupported || !def.expression) continue;
      const key = indexKey(def);
      if (keys.has(key)) continue;
      keys.add(key);
      plan.push({ version, def, key });
    }
  }
  return plan;
}

/** The key of an extracted row: the parameter's, or its component's or identifier's (extract.ts names). */
function rowKey(def: SearchParamDef, key: string, param: string): string {
  if (param === def.code) return key;
  if (param === identifierParam(def.code)) return identifierKey(def);
  return `${key}${param.slice(def.code.length)}`;
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
  }).immediate();
  return rows.length;
}

/**
 * Creates the index tables, first dropping those of the previous layout (schema.ts `OLD_LAYOUT`); the
 * hook calls it itself, but a store may call it up front.
 */
export function createIndexTables(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('search_string')").all() as {
    name: string;
  }[];
  const drops = oldLayoutDrops(columns.map((column) => column.name));
  if (drops !== undefined) db.exec(drops);
  db.exec(indexSchema());
}

interface Statements {
  remove: Database.Statement[];
  insert: (kind: IndexKind, rows: IndexRow[]) => void;
}

/** Rows per INSERT: a statement call costs more than the rows it adds, so rows go in batches. */
const BATCH = 32;

function prepareStatements(db: Database.Database): Statements {
  createIndexTables(db);
  const specs = Object.entries(INDEX_TABLES) as [IndexKind, IndexTableSpec][];
  const remove = specs.map(([, spec]) =>
    db.prepare(`DELETE FROM ${spec.name} WHERE resource_type = ? AND id = ?`),
  );
  const inserts = new Map<string, Database.Statement>();
  const statement = (kind: IndexKind, count: number) => {
    const key = `${kind} ${count}`;
    let found = inserts.get(key);
    if (!found) {
      const spec = INDEX_TABLES[kind];
      const columns = ['resource_type', 'id', 'param', 'n', 'grp', ...spec.columns];
      const row = `(${columns.map(() => '?').join(', ')})`;
      const values = Array.from({ length: count }, () => row).join(', ');
      found = db.prepare(`INSERT INTO ${spec.name} (${columns.join(', ')}) VALUES ${values}`);
      inserts.set(key, found);
    }
    return found;
  };
  const insert = (kind: IndexKind, rows: IndexRow[]) => {
    for (let at = 0; at < rows.length; at += BATCH) {
      const batch = rows.slice(at, at + BATCH);
      statement(kind, batch.length).run(batch.flatMap((row) => row.values));
    }
  };
  return { remove, insert };
}
