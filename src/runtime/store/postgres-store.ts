/**
 * The PostgreSQL store: the embedded store's semantics (versions, history, tombstones, 409/412/410,
 * https://hl7.org/fhir/R4/http.html) over a `pg` pool, for several server instances sharing one
 * database. Resources are `jsonb`; the search index tables are filled in the write's transaction
 * from the same FHIRPath extraction as SQLite's, and searched by the same SQL (search/sql/runner.ts).
 *
 * The `pg` driver is loaded when a PostgresStore is made, so that SQLite-only servers never load it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Pool, PoolClient } from 'pg';
import type { ResourceJson } from '../binding';
import type { SearchQuery } from '../contracts';
import { FhirHttpError, issue } from '../outcome';
import type { IndexRowsOf } from '../search/sql/indexer';
import { indexStatement } from '../search/sql/postgres-index';
import type { HistoryEntry, HistoryOptions, UpdateOptions } from '../service';
import { type QueuedWrite, type WriteOutcome, WriteQueue } from './group-commit';
import { cannotReach, isUnavailable, unavailable } from './postgres-errors';
import { POSTGRES_SCHEMA, SCHEMA_LOCK_KEY, SCHEMA_VERSION } from './postgres-schema';
import { newResourceId } from './resource-id';
import type { StoreSearchEngine } from './sqlite-store';
import { parseStored } from './stored';
import type { ResourceStore, SearchContext, StoreSearchResult } from './types';
import { type HeadRow, nextVersion, stampsCopies, withMeta } from './write-rules';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database` */
  url: string;
  poolSize?: number;
  /** The index rows of a write (search/sql/indexer.ts `createIndexRows`); none without search. */
  indexRows?: IndexRowsOf;
  searchEngine?: StoreSearchEngine;
  /** How long to wait for a connection before answering 503 (ms). */
  connectTimeout?: number;
}

type Row = Record<string, unknown>;

/** A transaction Bundle's connection, found through AsyncLocalStorage by the calls made inside it. */
interface Transaction {
  client: Promise<PoolClient>;
  open: boolean;
}

const HISTORY_COLUMNS = 'resource_type, id, version_id, last_updated, method, json';

/**
 * History rows with the text of the version each stands for: the current version's row holds none
 * (its text is `resources.json`, kept once); older versions' rows hold theirs (moved there by
 * `keepPrevious` when a newer version is written; PostgreSQL compresses large `jsonb` values itself).
 */
const HISTORY_ROWS = `SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.method,
  COALESCE(h.json, CASE WHEN h.method <> 'DELETE' THEN r.json END) AS json FROM resource_history h
  LEFT JOIN resources r ON r.resource_type = h.resource_type AND r.id = h.id AND r.version_id = h.version_id`;

export class PostgresStore implements ResourceStore {
  readonly kind = 'postgres';
  readonly pool: Pool;
  private readonly url: string;
  private readonly indexRows: IndexRowsOf | undefined;
  private readonly engine: StoreSearchEngine | undefined;
  private readonly transaction = new AsyncLocalStorage<Transaction | undefined>();
  /** Writes waiting for the next group commit (see group-commit.ts). */
  private readonly queue = new WriteQueue<PoolClient>((writes) => this.commitBatch(writes));
  private opened: Promise<void> | undefined;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    const pg = require('pg') as typeof import('pg');
    this.url = options.url;
    this.indexRows = options.indexRows;
    this.engine = options.searchEngine;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeout ?? 5000,
    });
    // An idle client whose server went away emits 'error'; the pool drops it and connects anew on
    // the next request. Without a listener the process would exit.
    this.pool.on('error', () => {});
    // A checked-out client is the pool's no longer (pg-pool removes its listener on checkout): when
    // the server goes away between two statements of a write, the client itself emits 'error', which
    // would end the process. The next statement on it fails as unavailable (503) and `release(true)`
    // drops it.
    this.pool.on('connect', (client) => {
      client.on('error', () => {});
    });
  }

  /**
   * Connects and creates or migrates the schema, once (later calls share the first). Instances that
   * start together take turns under an advisory lock; every statement is idempotent.
   */
  open(): Promise<void> {
    if (this.opened === undefined) {
      this.opened = this.migrate().catch((error: unknown) => {
        this.opened = undefined;
        throw cannotReach(this.url, error);
      });
    }
    return this.opened;
  }

  /** Batches committed so far and the writes they held. */
  get commits() {
    return this.queue.counts;
  }

  async read(resourceType: string, id: string): Promise<ResourceJson> {
    const [row] = await this.query(
      'SELECT deleted, json FROM resources WHERE resource_type = $1 AND id = $2',
      [resourceType, id],
    );
    if (row === undefined) throw new FhirHttpError(404, `${resourceType}/${id} is not known`);
    if (row.deleted === 1 || row.json === null)
      throw new FhirHttpError(410, `${resourceType}/${id} was deleted`);
    return parseStored(row.json);
  }

  async vread(resourceType: string, id: string, versionId: string): Promise<ResourceJson> {
    const version = Number(versionId);
    const [row] = Number.isSafeInteger(version)
      ? await this.query(`${HISTORY_ROWS} WHERE h.resource_type = $1 AND h.id = $2 AND h.version_id = $3`, [
          resourceType,
          id,
          version,
        ])
      : [];
    if (row === undefined) {
      throw new FhirHttpError(404, `${resourceType}/${id}/_history/${versionId} is not known`);
    }
    if (row.json === null)
      throw new FhirHttpError(410, `${resourceType}/${id} version ${versionId} is a deletion`);
    return parseStored(row.json);
  }

  create(resourceType: string, resource: ResourceJson): Promise<ResourceJson> {
    const id = resource.id ?? newResourceId();
    return this.grouped(async (client) => {
      const stamp = await nextStamp(client);
      if ((await head(client, resourceType, id)) !== undefined) {
        throw new FhirHttpError(409, `${resourceType}/${id} already exists`);
      }
      return this.put(client, 'create', resourceType, id, 1, stamp, resource);
    });
  }

  update(resourceType: string, id: string, resource: ResourceJson, options: UpdateOptions) {
    return this.grouped(async (client) => {
      const stamp = await nextStamp(client);
      const row = await head(client, resourceType, id);
      const versionId = nextVersion(resourceType, id, row, options);
      await keepPrevious(client, resourceType, id, row);
      const kind = row === undefined ? 'create' : 'update';
      const stored = await this.put(client, kind, resourceType, id, versionId, stamp, resource);
      return { resource: stored, created: row === undefined || row.deleted === 1 };
    });
  }

  delete(resourceType: string, id: string): Promise<void> {
    return this.grouped(async (client) => {
      const stamp = await nextStamp(client);
      const row = await head(client, resourceType, id);
      if (row === undefined || row.deleted === 1) return;
      const versionId = row.version_id + 1;
      await keepPrevious(client, resourceType, id, row);
      await client.query(
        'UPDATE resources SET version_id = $1, last_updated = $2, deleted = 1, json = NULL WHERE resource_type = $3 AND id = $4',
        [versionId, stamp, resourceType, id],
      );
      await client.query(
        `INSERT INTO resource_history (${HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, 'DELETE', NULL)`,
        [resourceType, id, versionId, stamp],
      );
      await this.index(client, resourceType, id, []);
    });
  }

  async history(resourceType: string | undefined, options: HistoryOptions): Promise<HistoryEntry[]> {
    const since = options.since ?? '';
    const limit = options.count ?? 100;
    let rows: Row[];
    if (resourceType === undefined) {
      rows = await this.query(
        `${HISTORY_ROWS} WHERE h.last_updated >= $1 ORDER BY h.last_updated DESC LIMIT $2`,
        [since, limit],
      );
    } else if (options.id === undefined) {
      rows = await this.query(
        `${HISTORY_ROWS} WHERE h.resource_type = $1 AND h.last_updated >= $2
         ORDER BY h.last_updated DESC, h.version_id DESC LIMIT $3`,
        [resourceType, since, limit],
      );
    } else {
      rows = await this.query(
        `${HISTORY_ROWS} WHERE h.resource_type = $1 AND h.id = $2 AND h.last_updated >= $3
         ORDER BY h.version_id DESC LIMIT $4`,
        [resourceType, options.id, since, limit],
      );
    }
    return rows.map((row) => {
      const entry: HistoryEntry = {
        resourceType: row.resource_type as string,
        id: row.id as string,
        versionId: String(row.version_id),
        lastUpdated: row.last_updated as string,
        method: row.method as HistoryEntry['method'],
      };
      if (row.json !== null) entry.resource = parseStored(row.json);
      return entry;
    });
  }

  async search(query: SearchQuery, context?: SearchContext): Promise<StoreSearchResult> {
    if (this.engine === undefined) return this.searchById(query);
    const source = {
      kind: 'postgres' as const,
      query: (text: string, args: unknown[]) => this.query(text, args),
    };
    return this.engine.search(query, source, context);
  }

  /**
   * Runs a transaction Bundle's entries as one database transaction on one pooled connection:
   * committed when `work` resolves, rolled back when it throws. The connection is found by the store
   * calls `work` makes through `AsyncLocalStorage.run`, which confines it to `work`'s own async
   * context: `begin` (`enterWith`) would also hand it to other requests' continuations of promises
   * settled inside the transaction.
   */
  async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release(true);
      throw translate(error);
    }
    const transaction: Transaction = { client: Promise.resolve(client), open: true };
    let broken = false;
    try {
      const result = await this.transaction.run(transaction, work);
      transaction.open = false;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      transaction.open = false;
      broken = isUnavailable(error);
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Starts a transaction on one pooled connection, entered into the caller's async context before
   * the first await so that the caller's later store calls use it. Only for a caller that runs alone
   * (the request handler's lock keeps others out); `inTransaction` needs no lock.
   */
  begin(): Promise<void> {
    const client = this.connect();
    const transaction: Transaction = { client, open: true };
    this.transaction.enterWith(transaction);
    return client.then(
      async (connected) => {
        try {
          await connected.query('BEGIN');
        } catch (error) {
          transaction.open = false;
          connected.release(true);
          throw translate(error);
        }
      },
      (error: unknown) => {
        // No connection: nothing to commit or roll back, and later calls must not wait for this one.
        transaction.open = false;
        throw error;
      },
    );
  }

  commit(): Promise<void> {
    return this.finish('COMMIT');
  }

  rollback(): Promise<void> {
    return this.finish('ROLLBACK');
  }

  async ping(): Promise<void> {
    await this.open();
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    await this.pool.end();
  }

  /** Indexes every current resource again when the index was built from other search tables. */
  async reindexIfStale(fingerprint: string): Promise<number> {
    await this.open();
    return this.write(async (client) => {
      // The clock row's lock keeps other instances' writes (and reindexing) out meanwhile.
      await nextStamp(client);
      const known = await client.query("SELECT value FROM fhirgen_meta WHERE key = 'search_tables'");
      if (known.rows[0]?.value === fingerprint) return 0;
      const rows = await client.query('SELECT resource_type, id, json FROM resources WHERE deleted = 0');
      for (const row of rows.rows as Row[]) {
        const resourceType = row.resource_type as string;
        const id = row.id as string;
        await this.index(
          client,
          resourceType,
          id,
          this.rowsOf('update', resourceType, id, parseStored(row.json)),
        );
      }
      await client.query(
        "INSERT INTO fhirgen_meta (key, value) VALUES ('search_tables', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [fingerprint],
      );
      return rows.rows.length;
    });
  }

  /**
   * Runs the schema's statements only when the database holds another version of them: DDL on tables
   * in use takes locks that would make writers of running instances wait, or deadlock with them.
   */
  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_KEY]);
      try {
        const made = await client.query("SELECT to_regclass('fhirgen_meta') IS NOT NULL AS made");
        const known = made.rows[0]?.made
          ? await client.query("SELECT value FROM fhirgen_meta WHERE key = 'schema'")
          : { rows: [] };
        if (known.rows[0]?.value === SCHEMA_VERSION) return;
        await client.query(POSTGRES_SCHEMA);
        await client.query(
          "INSERT INTO fhirgen_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          [SCHEMA_VERSION],
        );
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  private current(): Transaction | undefined {
    const transaction = this.transaction.getStore();
    return transaction?.open ? transaction : undefined;
  }

  private async connect(): Promise<PoolClient> {
    try {
      await this.open();
      return await this.pool.connect();
    } catch (error) {
      throw translate(error);
    }
  }

  /** A statement on the Bundle's connection when inside one, otherwise on any pooled connection. */
  private async query(text: string, args: unknown[]): Promise<Row[]> {
    const transaction = this.current();
    try {
      if (transaction !== undefined) return (await (await transaction.client).query(text, args)).rows;
      await this.open();
      return (await this.pool.query(text, args)).rows;
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * Runs a write in the Bundle's transaction, in a savepoint so that a failing statement undoes this
   * write alone (a batch Bundle's entries fail one by one), or in a transaction of its own.
   */
  private async write<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const transaction = this.current();
    if (transaction !== undefined) {
      const client = await transaction.client;
      try {
        await client.query('SAVEPOINT entry');
        const result = await work(client);
        await client.query('RELEASE SAVEPOINT entry');
        return result;
      } catch (error) {
        if (!isUnavailable(error)) {
          await client.query('ROLLBACK TO SAVEPOINT entry; RELEASE SAVEPOINT entry').catch(() => {});
        }
        throw translate(error);
      }
    }
    const client = await this.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isUnavailable(error);
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Queues a write for the next group commit; inside a transaction Bundle's transaction, runs it
   * there at once, as one of the Bundle's writes.
   */
  private grouped<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.current() !== undefined) return this.write(work);
    return this.queue.push(work);
  }

  /**
   * One group commit: the batch's writes in one transaction on one connection, each in a savepoint
   * when there are several, so that a failing one rolls back alone; one COMMIT, one WAL flush, for
   * all. A lost connection fails the whole batch (503).
   */
  private async commitBatch(writes: QueuedWrite<PoolClient>[]): Promise<WriteOutcome[]> {
    const client = await this.connect();
    const alone = writes.length === 1;
    let broken = false;
    try {
      await client.query('BEGIN');
      const outcomes: WriteOutcome[] = [];
      for (const write of writes) {
        if (!alone) await client.query('SAVEPOINT write');
        try {
          outcomes.push({ ok: true, value: await write.apply(client) });
          if (!alone) await client.query('RELEASE SAVEPOINT write');
        } catch (error) {
          if (alone || isUnavailable(error)) throw error;
          await client.query('ROLLBACK TO SAVEPOINT write');
          await client.query('RELEASE SAVEPOINT write');
          outcomes.push({ ok: false, error: translate(error) });
        }
      }
      await client.query('COMMIT');
      return outcomes;
    } catch (error) {
      broken = isUnavailable(error);
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      if (alone && !broken) return [{ ok: false, error: translate(error) }];
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  private async finish(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const transaction = this.current();
    if (transaction === undefined) return;
    transaction.open = false;
    this.transaction.enterWith(undefined);
    const client = await transaction.client;
    try {
      await client.query(statement);
      client.release();
    } catch (error) {
      client.release(true);
      throw translate(error);
    }
  }

  private async put(
    client: PoolClient,
    kind: 'create' | 'update',
    resourceType: string,
    id: string,
    versionId: number,
    lastUpdated: string,
    resource: ResourceJson,
  ): Promise<ResourceJson> {
    const stored = withMeta(resourceType, id, versionId, lastUpdated, resource);
    const json = JSON.stringify(stored);
    await client.query(
      `INSERT INTO resources (resource_type, id, version_id, last_updated, deleted, json) VALUES ($1, $2, $3, $4, 0, $5)
       ON CONFLICT (resource_type, id) DO UPDATE SET version_id = excluded.version_id,
       last_updated = excluded.last_updated, deleted = 0, json = excluded.json`,
      [resourceType, id, versionId, lastUpdated, json],
    );
    await client.query(`INSERT INTO resource_history (${HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
      resourceType,
      id,
      versionId,
      lastUpdated,
      kind === 'create' ? 'POST' : 'PUT',
      null,
    ]);
    await this.index(client, resourceType, id, this.rowsOf(kind, resourceType, id, stored));
    return stored;
  }

  private rowsOf(kind: 'create' | 'update', resourceType: string, id: string, resource: ResourceJson) {
    return this.indexRows === undefined ? [] : this.indexRows({ kind, resourceType, id, resource });
  }

  private async index(client: PoolClient, resourceType: string, id: string, rows: ReturnType<IndexRowsOf>) {
    if (this.indexRows === undefined) return;
    const statement = indexStatement(resourceType, id, rows);
    await client.query(statement.text, statement.args);
  }

  /** Without the search module: `_id` and paging only, as the embedded store. */
  private async searchById(query: SearchQuery): Promise<StoreSearchResult> {
    const unsupported = query.params.filter((param) => param.name !== '_id');
    if (unsupported.length > 0) {
      throw new FhirHttpError(
        400,
        `This store cannot search on ${unsupported.map((param) => param.name).join(', ')} without the search module`,
      );
    }
    const rows = await this.query(
      'SELECT id, json FROM resources WHERE resource_type = $1 AND deleted = 0 ORDER BY last_updated DESC, id',
      [query.resourceType],
    );
    const idParams = query.params.filter((param) => param.name === '_id');
    const matching = rows.filter((row) =>
      idParams.every((param) => param.values.some((value) => value.raw === row.id)),
    );
    const offset = query.offset ?? 0;
    return {
      match: matching.slice(offset, offset + query.count).map((row) => parseStored(row.json)),
      total: matching.length,
    };
  }
}

// create and update answer with `withMeta`'s copy of the resource given (see `ownStore`).
stampsCopies(PostgresStore.prototype);

/** Moves the superseded version's text from `resources` into its history row (see `HISTORY_ROWS`). */
async function keepPrevious(client: PoolClient, resourceType: string, id: string, row: HeadRow | undefined) {
  if (row === undefined || row.deleted === 1) return;
  await client.query(
    `UPDATE resource_history h SET json = r.json FROM resources r WHERE r.resource_type = $1 AND r.id = $2
     AND h.resource_type = r.resource_type AND h.id = r.id AND h.version_id = r.version_id`,
    [resourceType, id],
  );
}

async function head(client: PoolClient, resourceType: string, id: string): Promise<HeadRow | undefined> {
  const result = await client.query(
    'SELECT version_id, deleted FROM resources WHERE resource_type = $1 AND id = $2',
    [resourceType, id],
  );
  return result.rows[0] as HeadRow | undefined;
}

/**
 * The write's lastUpdated, strictly later than every earlier one: the database's clock, or one
 * millisecond past the last instant handed out. The clock row stays locked until the transaction
 * ends, so writes commit in the order of their instants and `_since` misses none.
 */
async function nextStamp(client: PoolClient): Promise<string> {
  const result = await client.query(
    `UPDATE fhirgen_clock SET ms = GREATEST(ms + 1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
     WHERE one = 1 RETURNING ms`,
  );
  return new Date(Number(result.rows[0]?.ms)).toISOString();
}

/**
 * A lost database becomes 503; a unique-key race on create 409; what PostgreSQL cannot store (a NUL
 * character in a string, a value too long for a search index entry, about 2,700 bytes) a 4xx naming
 * it rather than a bare 500. The rest passes through.
 */
function translate(error: unknown): unknown {
  if (error instanceof FhirHttpError) return error;
  if (isUnavailable(error)) return unavailable();
  const code = (error as { code?: unknown }).code;
  if (code === '23505') {
    return new FhirHttpError(409, 'The resource was written by another request at the same time');
  }
  if (code === '22P05' || code === '22021') {
    return new FhirHttpError(400, [
      issue(
        'error',
        'invalid',
        'The resource contains a character the database cannot store (such as U+0000)',
      ),
    ]);
  }
  if (code === '54000') {
    return new FhirHttpError(422, [
      issue('error', 'too-long', 'A searchable value of the resource is too long for the database index'),
    ]);
  }
  return error;
}
