import Database from 'better-sqlite3';
import { retryWhileBusy } from '../store/sqlite-busy';
import { TokenStateCache } from './token-state-cache';
import {
  type AddressCheck,
  type CounterValue,
  type IssuedToken,
  type TokenState,
  type TokenStore,
  TokenStoreUnavailableError,
} from './token-store';

/**
 * The embedded token store: one SQLite file in WAL mode. WAL with `synchronous = NORMAL` keeps every
 * committed transaction across a crash of the process (SQLite "WAL mode" documentation: only a power
 * loss or OS crash may roll back the last transactions), which is the durability the revocation list
 * needs; `FULL` can be chosen for power-loss durability at the price of one fsync per write.
 */
export interface SqliteTokenStoreOptions {
  /** A file path, or `:memory:` for tests. */
  file: string;
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's lock before the store reports itself unavailable. */
  busyTimeoutMs?: number;
  /**
   * How long an answer of `state` may be reused (see TokenStateCache): within the process it is
   * always current; another process's write counts as soon as the kernel reports the file changed,
   * and at the latest after this long. 0 reads the file on every call. Default 1000.
   */
  stateCacheMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS issued (
  jti TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  client_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  superseded_at INTEGER
);
CREATE INDEX IF NOT EXISTS issued_by_owner ON issued (subject, client_id) WHERE superseded_at IS NULL;
CREATE TABLE IF NOT EXISTS revoked (
  jti TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
  jti TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
  address TEXT PRIMARY KEY,
  until_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS used_jtis (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
  key TEXT PRIMARY KEY,
  reset_at INTEGER NOT NULL,
  count INTEGER NOT NULL
);
`;

/** A row of the state query: the issued columns are null for an unknown jti, the revoked ones when not revoked. */
interface StateRow {
  jti: string | null;
  subject: string | null;
  client_id: string | null;
  fingerprint: string | null;
  issued_at: number | null;
  expires_at: number | null;
  superseded_at: number | null;
  reason: string | null;
  revoked_at: number | null;
  until_ms: number | null;
}

export class SqliteTokenStore implements TokenStore {
  private readonly db: Database.Database;
  private readonly statements;

  private readonly file: string;
  private readonly cache: TokenStateCache;

  constructor(options: SqliteTokenStoreOptions) {
    this.file = options.file;
    this.db = new Database(options.file);
    // Instances starting together on one state folder: see store/sqlite-busy.ts.
    retryWhileBusy(() => {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      // Several processes may share the file (a restart overlapping the old instance): wait, do not fail.
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      this.db.exec(SCHEMA);
    });
    this.statements = this.prepare();
    this.cache = new TokenStateCache({ file: options.file, maxAgeMs: options.stateCacheMs ?? 1000 });
  }

  private prepare() {
    const db = this.db;
    return {
      supersedeOwner: db.prepare(
        'UPDATE issued SET superseded_at = ? WHERE subject = ? AND client_id = ? AND superseded_at IS NULL RETURNING jti',
      ),
      insertIssued: db.prepare(
        'INSERT INTO issued (jti, subject, client_id, fingerprint, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // One statement for the three tables: this runs on every authenticated request, and each
      // statement of its own would begin a read transaction of its own. A null address matches no block.
      selectState: db.prepare(
        `SELECT i.jti, i.subject, i.client_id, i.fingerprint, i.issued_at, i.expires_at, i.superseded_at,
                r.reason, r.revoked_at, b.until_ms
         FROM (SELECT @jti AS jti) AS k
         LEFT JOIN issued AS i ON i.jti = k.jti
         LEFT JOIN revoked AS r ON r.jti = k.jti
         LEFT JOIN blocks AS b ON b.address = @address AND b.until_ms > @now`,
      ),
      insertRevoked: db.prepare(
        'INSERT INTO revoked (jti, reason, revoked_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING',
      ),
      insertBinding: db.prepare(
        'INSERT INTO bindings (jti, address, expires_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING',
      ),
      selectBinding: db.prepare('SELECT address FROM bindings WHERE jti = ?'),
      upsertBlock: db.prepare(
        'INSERT INTO blocks (address, until_ms) VALUES (?, ?) ON CONFLICT (address) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)',
      ),
      selectBlock: db.prepare('SELECT until_ms FROM blocks WHERE address = ? AND until_ms > ?'),
      bumpCounter: db.prepare(
        `INSERT INTO counters (key, reset_at, count) VALUES (@key, @resetAt, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN reset_at <= @now THEN 1 ELSE count + 1 END,
           reset_at = CASE WHEN reset_at <= @now THEN @resetAt ELSE reset_at END
         RETURNING count, reset_at`,
      ),
      // A jti whose earlier use has expired may be recorded again; a live one is left alone (no change).
      useJti: db.prepare(
        'INSERT INTO used_jtis (key, expires_at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_jtis.expires_at < ?',
      ),
      purgeUsedJtis: db.prepare('DELETE FROM used_jtis WHERE expires_at < ?'),
      purgeIssued: db.prepare('DELETE FROM issued WHERE expires_at < ?'),
      purgeRevoked: db.prepare('DELETE FROM revoked WHERE expires_at < ?'),
      purgeBindings: db.prepare('DELETE FROM bindings WHERE expires_at < ?'),
      purgeBlocks: db.prepare('DELETE FROM blocks WHERE until_ms <= ?'),
      purgeCounters: db.prepare('DELETE FROM counters WHERE reset_at <= ?'),
    };
  }

  async recordIssued(token: IssuedToken): Promise<string[]> {
    return this.writing(() => {
      const s = this.statements;
      const run = this.db.transaction((t: IssuedToken) => {
        const superseded = s.supersedeOwner.all(t.issuedAt, t.subject, t.clientId) as { jti: string }[];
        s.insertIssued.run(t.jti, t.subject, t.clientId, t.fingerprint, t.issuedAt, t.expiresAt);
        return superseded.map((row) => row.jti);
      });
      return run.immediate(token);
    });
  }

  async state(jti: string, check?: AddressCheck): Promise<TokenState> {
    const cached = this.cache.get(jti, check);
    if (cached) return cached;
    return this.guarded(() => {
      const query = { jti, address: check?.address ?? null, now: check?.now ?? 0 };
      const row = this.statements.selectState.get(query) as StateRow;
      const state: TokenState = {};
      if (row.jti !== null) {
        state.issued = {
          jti: row.jti,
          subject: row.subject as string,
          clientId: row.client_id as string,
          fingerprint: row.fingerprint as string,
          issuedAt: row.issued_at as number,
          expiresAt: row.expires_at as number,
          ...(row.superseded_at === null ? {} : { supersededAt: row.superseded_at }),
        };
      }
      if (row.reason !== null)
        state.revocation = { jti, reason: row.reason, revokedAt: row.revoked_at as number };
      if (row.until_ms !== null) state.blockedUntil = row.until_ms;
      this.cache.set(jti, check, state);
      return state;
    });
  }

  async revoke(jti: string, reason: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    return this.writing(() => {
      const result = this.statements.insertRevoked.run(jti, reason, Math.floor(now / 1000), expiresAt);
      return result.changes === 1;
    });
  }

  async bindAddress(jti: string, address: string, expiresAt: number): Promise<string> {
    return this.guarded(() => {
      this.statements.insertBinding.run(jti, address, expiresAt);
      const row = this.statements.selectBinding.get(jti) as { address: string };
      return row.address;
    });
  }

  async blockAddress(address: string, until: number): Promise<void> {
    return this.writing(() => {
      this.statements.upsertBlock.run(address, until);
    });
  }

  async blockedUntil(address: string, now: number): Promise<number | undefined> {
    return this.guarded(() => {
      const row = this.statements.selectBlock.get(address, now) as { until_ms: number } | undefined;
      return row?.until_ms;
    });
  }

  async increment(key: string, windowMs: number, now: number): Promise<CounterValue> {
    return this.guarded(() => {
      const row = this.statements.bumpCounter.get({ key, now, resetAt: now + windowMs }) as {
        count: number;
        reset_at: number;
      };
      return { count: row.count, resetAt: row.reset_at };
    });
  }

  async useJti(issuer: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
    return this.guarded(() => {
      const key = `${issuer.length}:${issuer}:${jti}`;
      return this.statements.useJti.run(key, expiresAt, Math.floor(now / 1000)).changes === 1;
    });
  }

  async purgeExpired(now: number): Promise<number> {
    return this.writing(() => {
      const s = this.statements;
      const seconds = Math.floor(now / 1000);
      const purge = this.db.transaction(
        () =>
          s.purgeIssued.run(seconds).changes +
          s.purgeRevoked.run(seconds).changes +
          s.purgeBindings.run(seconds).changes +
          s.purgeUsedJtis.run(seconds).changes +
          s.purgeBlocks.run(now).changes +
          s.purgeCounters.run(now).changes,
      );
      // IMMEDIATE: a write transaction takes the write lock at BEGIN, waiting (busy_timeout) for
      // another process's commit instead of failing when it upgrades (sqlite-store.ts makeTransactions).
      return purge.immediate();
    });
  }

  async ping(): Promise<void> {
    await this.guarded(() => this.db.prepare('SELECT 1').get());
  }

  /** A write that changes what `state` answers: the cached answers go, whether or not it succeeds. */
  private writing<T>(operation: () => T): Promise<T> {
    this.cache.clear();
    return this.guarded(operation);
  }

  /**
   * Runs one store operation; what SQLite throws here (SQLITE_BUSY beyond the busy timeout, I/O
   * errors, a closed database) means the state cannot be read or written now: unavailable.
   */
  private guarded<T>(operation: () => T): Promise<T> {
    try {
      return Promise.resolve(operation());
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(
        new TokenStoreUnavailableError(`token store ${this.file}: ${reason}`, { cause: error }),
      );
    }
  }

  async close(): Promise<void> {
    this.cache.close();
    if (this.db.open) this.db.close();
  }
}
