/**
 * The embedded store: resources as JSON documents in SQLite (better-sqlite3), with versions, full
 * history and delete tombstones (https://hl7.org/fhir/R4/http.html). One store serves every FHIR
 * version: the same JSON read through `/r4` and `/stu3` is cast to each version's class.
 */
import Database from 'better-sqlite3';
import type { ResourceJson } from '../binding';
import type { SearchQuery } from '../contracts';
import { FhirHttpError } from '../outcome';
import type { Awaitable, HistoryEntry, HistoryOptions, UpdateOptions } from '../service';
import { type QueuedWrite, type WriteOutcome, WriteQueue } from './group-commit';
import { type HistoryText, historyText, packHistoryText } from './history-text';
import { newResourceId } from './resource-id';
import { STORE_SCHEMA } from './schema';
import { retryWhileBusy } from './sqlite-busy';
import { migrateLayout } from './sqlite-layout';
import type {
  ResourceStore,
  SearchContext,
  StoreSearchResult,
  StoreSearchTextResult,
  StoreWriteEvent,
} from './types';
import { type HeadRow, nextVersion, stampsCopies, withMeta } from './write-rules';

export type { SearchContext, StoreSearchResult, StoreWriteEvent } from './types';

export interface StoreOptions {
  /** A file path, or `:memory:`. */
  location: string;
  /** Called inside the write's SQLite transaction, so index tables stay consistent with `resources`. */
  onWrite?: StoreWriteHook;
  /** Answers searches; the default knows only `_id`. */
  searchEngine?: StoreSearchEngine;
}

export type StoreWriteHook = (event: StoreWriteEvent, db: Database.Database) => void;

/** Where a search engine runs its SQL: an SQLite database, or PostgreSQL through a query function. */
export type SearchSource =
  | { kind: 'sqlite'; db: Database.Database }
  | { kind: 'postgres'; query: (text: string, args: unknown[]) => Promise<Record<string, unknown>[]> };

export interface StoreSearchEngine {
  search(query: SearchQuery, source: SearchSource, context?: SearchContext): Awaitable<StoreSearchResult>;
  /** The search with resources as stored text (see `ResourceStore.searchText`), on SQLite. */
  searchText?(
    query: SearchQuery,
    db: Database.Database,
    context?: SearchContext,
  ): StoreSearchTextResult | undefined;
}

/** The current version with its text (NULL for a tombstone). */
interface CurrentRow extends HeadRow {
  json: string | null;
}

/** A history row, with the current version's text when the row stands for it (history-text.ts). */
interface HistoryRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  method: HistoryEntry['method'];
  json: HistoryText;
  current: string | null;
}

export class SqliteStore implements ResourceStore {
  readonly kind = 'sqlite';
  readonly db: Database.Database;
  private readonly onWrite: StoreWriteHook | undefined;
  private readonly engine: StoreSearchEngine;
  private readonly statements: ReturnType<typeof prepare>;
  /** Transaction wrappers made once: better-sqlite3 builds several functions per `transaction()` call. */
  private readonly transactions: ReturnType<SqliteStore['makeTransactions']>;
  /** Writes waiting for the next group commit (see group-commit.ts). */
  private readonly queue: WriteQueue<void>;
  /** Epoch ms of the last write, so that every write gets a later `lastUpdated` than the one before. */
  private lastStamp: number;

  constructor(options: StoreOptions) {
    this.db = new Database(options.location);
    // Instances starting together on one file: see sqlite-busy.ts.
    retryWhileBusy(() => {
      if (options.location !== ':memory:') {
        // WAL lets readers run while a write commits, and survives a crash (https://sqlite.org/wal.html).
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        // Checkpoint every ~16 MB of WAL instead of SQLite's 4 MB: each checkpoint copies the pages
        // and syncs the file on the request's thread; fewer of them cost less per write (measured ~10%
        // of a create's store CPU), while reads stay indexed by the WAL index (https://sqlite.org/wal.html#ckpt).
        this.db.pragma('wal_autocheckpoint = 4000');
        // Several server processes may share the file (instances behind a load balancer): a writer
        // waits for another's commit instead of failing with SQLITE_BUSY (https://sqlite.org/c3ref/busy_timeout.html).
        this.db.pragma('busy_timeout = 5000');
      }
      this.db.exec(STORE_SCHEMA);
      migrateLayout(this.db);
    });
    this.onWrite = options.onWrite;
    this.engine = options.searchEngine ?? idOnlySearch;
    this.statements = prepare(this.db);
    this.transactions = this.makeTransactions();
    this.queue = new WriteQueue((writes) => this.transactions.batch.immediate(writes));
    const latest = this.db.prepare('SELECT MAX(last_updated) AS latest FROM resource_history').get() as {
      latest: string | null;
    };
    this.lastStamp = latest.latest === null ? 0 : Date.parse(latest.latest);
  }

  /** Batches committed so far and the writes they held. */
  get commits() {
    return this.queue.counts;
  }

  /** The current version; 404 when unknown, 410 when deleted. */
  read(resourceType: string, id: string): ResourceJson {
    return JSON.parse(this.readText(resourceType, id)) as ResourceJson;
  }

  readText(resourceType: string, id: string): string {
    this.flush();
    const row = this.statements.current.get(resourceType, id) as CurrentRow | undefined;
    if (row === undefined) throw new FhirHttpError(404, `${resourceType}/${id} is not known`);
    if (row.deleted === 1 || row.json === null) {
      throw new FhirHttpError(410, `${resourceType}/${id} was deleted`);
    }
    return row.json;
  }

  vread(resourceType: string, id: string, versionId: string): ResourceJson {
    this.flush();
    const row = this.statements.version.get(resourceType, id, Number(versionId)) as HistoryRow | undefined;
    if (row === undefined) {
      throw new FhirHttpError(404, `${resourceType}/${id}/_history/${versionId} is not known`);
    }
    const text = historyText(row.json, row.current);
    if (text === null)
      throw new FhirHttpError(410, `${resourceType}/${id} version ${versionId} is a deletion`);
    return JSON.parse(text) as ResourceJson;
  }

  /**
   * Stores a new resource. Keeps `resource.id` when given (transactions assign ids beforehand).
   * Resolves once the write is committed, with the writes queued beside it (group-commit.ts).
   */
  create(resourceType: string, resource: ResourceJson): Promise<ResourceJson> {
    const id = resource.id ?? newResourceId();
    return this.write(() => this.transactions.create(resourceType, id, resource));
  }

  update(
    resourceType: string,
    id: string,
    resource: ResourceJson,
    options: UpdateOptions,
  ): Promise<{ resource: ResourceJson; created: boolean }> {
    return this.write(() => this.transactions.update(resourceType, id, resource, options));
  }

  /** Marks the resource deleted (a tombstone). Deleting an unknown or deleted resource changes nothing. */
  delete(resourceType: string, id: string): Promise<void> {
    return this.write(() => this.transactions.delete(resourceType, id));
  }

  /**
   * Commits the queued writes now. Every read does so first, so that a read sees each write made
   * before it in this process, answered or not, as when every write committed on its own.
   */
  flush(): void {
    if (this.queue.size > 0) void this.queue.drain();
  }

  /** Versions newest first, of one resource, one type, or everything (`resourceType` undefined). */
  history(resourceType: string | undefined, options: HistoryOptions): HistoryEntry[] {
    this.flush();
    const since = options.since ?? '';
    const limit = options.count ?? 100;
    let rows: HistoryRow[];
    if (resourceType === undefined) rows = this.statements.historyAll.all(since, limit) as HistoryRow[];
    else if (options.id === undefined) {
      rows = this.statements.historyType.all(resourceType, since, limit) as HistoryRow[];
    } else rows = this.statements.historyOne.all(resourceType, options.id, since, limit) as HistoryRow[];
    return rows.map((row) => {
      const entry: HistoryEntry = {
        resourceType: row.resource_type,
        id: row.id,
        versionId: String(row.version_id),
        lastUpdated: row.last_updated,
        method: row.method,
      };
      const text = historyText(row.json, row.current);
      if (text !== null) entry.resource = JSON.parse(text) as ResourceJson;
      return entry;
    });
  }

  /** One store serves every version; `context` tells the engine which version's parameters apply. */
  search(query: SearchQuery, context?: SearchContext): Awaitable<StoreSearchResult> {
    this.flush();
    return this.engine.search(query, this, context);
  }

  searchText(query: SearchQuery, context?: SearchContext): StoreSearchTextResult | undefined {
    this.flush();
    return this.engine.searchText?.(query, this.db, context);
  }

  /**
   * Explicit transaction control for a FHIR transaction Bundle whose entries are awaited one by
   * one; the caller must keep other requests out meanwhile (the request handler's lock does).
   */
  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
  }

  commit(): void {
    this.db.exec('COMMIT');
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Closes at once (the promise is for callers that also close other stores); a second call does nothing. */
  close(): Promise<void> {
    if (!this.db.open) return Promise.resolve();
    this.flush();
    this.db.close();
    return Promise.resolve();
  }

  /**
   * The batch is called with `.immediate`: a write transaction takes the write lock at BEGIN. A deferred one reads
   * first and then asks for the lock, and SQLite fails it at once with SQLITE_BUSY, without waiting,
   * when another process writes meanwhile (https://sqlite.org/lang_transaction.html).
   */
  private makeTransactions() {
    const { head, current, tombstone, history } = this.statements;
    // Inside the batch's transaction, better-sqlite3 runs each nested transaction below as a
    // SAVEPOINT: a write that throws rolls back alone and the batch goes on.
    const batch = this.db.transaction((writes: QueuedWrite<void>[]) =>
      writes.map((write): WriteOutcome => {
        try {
          return { ok: true, value: write.apply() };
        } catch (error) {
          // SQLite ends the whole transaction on some errors (a full disk, I/O): then the batch fails.
          if (!this.db.inTransaction) throw error;
          return { ok: false, error };
        }
      }),
    );
    return {
      batch,
      create: this.db.transaction((resourceType: string, id: string, resource: ResourceJson) => {
        if (head.get(resourceType, id) !== undefined) {
          throw new FhirHttpError(409, `${resourceType}/${id} already exists`);
        }
        return this.put('create', resourceType, id, 1, resource);
      }),
      update: this.db.transaction(
        (resourceType: string, id: string, resource: ResourceJson, options: UpdateOptions) => {
          const row = current.get(resourceType, id) as CurrentRow | undefined;
          const versionId = nextVersion(resourceType, id, row, options);
          this.keepPrevious(resourceType, id, row);
          const stored = this.put(
            row === undefined ? 'create' : 'update',
            resourceType,
            id,
            versionId,
            resource,
          );
          return { resource: stored, created: row === undefined || row.deleted === 1 };
        },
      ),
      delete: this.db.transaction((resourceType: string, id: string) => {
        const row = current.get(resourceType, id) as CurrentRow | undefined;
        if (row === undefined || row.deleted === 1) return;
        const versionId = row.version_id + 1;
        this.keepPrevious(resourceType, id, row);
        const lastUpdated = this.nextStamp();
        tombstone.run(versionId, lastUpdated, resourceType, id);
        history.run(resourceType, id, versionId, lastUpdated, 'DELETE', null);
        this.onWrite?.({ kind: 'delete', resourceType, id, versionId: String(versionId) }, this.db);
      }),
    };
  }

  /**
   * Strictly increasing across writes (one millisecond apart at least), so that history is totally
   * ordered and `_since` never misses a write made in the same millisecond as another.
   */
  private nextStamp(): string {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  /**
   * Queues a write for the next group commit; inside a transaction Bundle's explicit transaction
   * (`begin`), runs it there at once, as one of the Bundle's writes.
   */
  private write<T>(apply: () => T): Promise<T> {
    if (!this.db.inTransaction) return this.queue.push(apply);
    try {
      return Promise.resolve(apply());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Moves the text of the version being superseded from `resources` into its history row (history-text.ts). */
  private keepPrevious(resourceType: string, id: string, row: CurrentRow | undefined): void {
    if (row === undefined || row.json === null) return;
    this.statements.keep.run(packHistoryText(row.json), resourceType, id, row.version_id);
  }

  private put(
    kind: 'create' | 'update',
    resourceType: string,
    id: string,
    versionId: number,
    resource: ResourceJson,
  ): ResourceJson {
    const lastUpdated = this.nextStamp();
    const stored = withMeta(resourceType, id, versionId, lastUpdated, resource);
    const json = JSON.stringify(stored);
    this.statements.upsert.run(resourceType, id, versionId, lastUpdated, json);
    // No text: the history row of the current version stands for `resources.json`.
    this.statements.history.run(
      resourceType,
      id,
      versionId,
      lastUpdated,
      kind === 'create' ? 'POST' : 'PUT',
      null,
    );
    this.onWrite?.({ kind, resourceType, id, versionId: String(versionId), resource: stored }, this.db);
    return stored;
  }
}

// create and update answer with `withMeta`'s copy of the resource given (see `ownStore`).
stampsCopies(SqliteStore.prototype);

function prepare(db: Database.Database) {
  const historyColumns = 'resource_type, id, version_id, last_updated, method, json';
  // A history row and, when it is the current version's, that version's text from `resources`.
  const historyRows = `SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.method, h.json,
    CASE WHEN h.json IS NULL THEN r.json END AS current FROM resource_history h
    LEFT JOIN resources r ON r.resource_type = h.resource_type AND r.id = h.id AND r.version_id = h.version_id`;
  return {
    current: db.prepare('SELECT version_id, deleted, json FROM resources WHERE resource_type = ? AND id = ?'),
    head: db.prepare('SELECT version_id, deleted FROM resources WHERE resource_type = ? AND id = ?'),
    version: db.prepare(`${historyRows} WHERE h.resource_type = ? AND h.id = ? AND h.version_id = ?`),
    upsert: db.prepare(
      `INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, json) VALUES (?, ?, ?, ?, 0, ?)
       ON CONFLICT (resource_type, id) DO UPDATE SET version_id = excluded.version_id,
       last_updated = excluded.last_updated, deleted = 0, json = excluded.json`,
    ),
    tombstone: db.prepare(
      'UPDATE resources SET version_id = ?, last_updated = ?, deleted = 1, json = NULL WHERE resource_type = ? AND id = ?',
    ),
    history: db.prepare(`INSERT INTO resource_history (${historyColumns}) VALUES (?, ?, ?, ?, ?, ?)`),
    keep: db.prepare(
      'UPDATE resource_history SET json = ? WHERE resource_type = ? AND id = ? AND version_id = ?',
    ),
    historyAll: db.prepare(`${historyRows} WHERE h.last_updated >= ? ORDER BY h.last_updated DESC LIMIT ?`),
    historyType: db.prepare(
      `${historyRows} WHERE h.resource_type = ? AND h.last_updated >= ?
       ORDER BY h.last_updated DESC, h.version_id DESC LIMIT ?`,
    ),
    historyOne: db.prepare(
      `${historyRows} WHERE h.resource_type = ? AND h.id = ? AND h.last_updated >= ?
       ORDER BY h.version_id DESC LIMIT ?`,
    ),
  };
}

/** The search the store answers without the search module: `_id`, `_count` and paging only. */
const idOnlySearch: StoreSearchEngine = {
  search(query, source) {
    if (source.kind !== 'sqlite') throw new FhirHttpError(500, 'the id-only search runs on SQLite');
    const store = source;
    const unsupported = query.params.filter((param) => param.name !== '_id');
    if (unsupported.length > 0) {
      throw new FhirHttpError(
        400,
        `The embedded store cannot search on ${unsupported.map((param) => param.name).join(', ')} without the search module`,
      );
    }
    const idParams = query.params.filter((param) => param.name === '_id');
    const rows = store.db
      .prepare(
        'SELECT id, json FROM resources WHERE resource_type = ? AND deleted = 0 ORDER BY last_updated DESC, id',
      )
      .all(query.resourceType) as { id: string; json: string }[];
    // Repeated `_id` parameters are ANDed, comma-separated values ORed (https://hl7.org/fhir/R4/search.html#combining).
    const matching = rows.filter((row) =>
      idParams.every((param) => param.values.some((value) => value.raw === row.id)),
    );
    const offset = query.offset ?? 0;
    return {
      match: matching.slice(offset, offset + query.count).map((row) => JSON.parse(row.json) as ResourceJson),
      total: matching.length,
    };
  },
};
