/**
 * The token store for several server instances behind a load balancer: one Redis (a single server,
 * or a primary with replicas; not Redis Cluster, whose slots the scripts do not respect) shared by
 * all of them. Each read-modify-write is one Lua script (`redis-scripts.ts`), so supersession,
 * first-reason-wins revocation, first-use address binding, block extension and fixed-window counters
 * stay exact when instances act at the same moment.
 *
 * It fails fast and closed: commands are not queued while Redis is unreachable and time out after
 * `commandTimeoutMs`, so a token check fails at once with TokenStoreUnavailableError (the server
 * answers 503) instead of hanging or letting a request through; the client keeps reconnecting in
 * the background, and requests succeed again as soon as Redis is back.
 *
 * ioredis is loaded only when this store is chosen, so projects on the embedded store never load it.
 */
import type { Redis, RedisOptions } from 'ioredis';
import * as scripts from './redis-scripts';
import {
  type AddressCheck,
  type CounterValue,
  type IssuedToken,
  type TokenState,
  type TokenStore,
  TokenStoreUnavailableError,
} from './token-store';

export interface RedisTokenStoreOptions {
  /** `redis://[user:password@]host:port/db` or `rediss://` for TLS. */
  url: string;
  /** Prepended to every key, so that several servers (or tests) can share one Redis. */
  keyPrefix?: string;
  /** A command that gets no answer within this many milliseconds fails; default 2000. */
  commandTimeoutMs?: number;
  /** Told when the connection is lost and when it is back (the server writes it to stderr). */
  onStatus?: (message: string) => void;
}

export const DEFAULT_KEY_PREFIX = 'fhirgen:';

/** Records live this long past their deadline: clock skew between instances and Redis, and late checks. */
const GRACE_SECONDS = 120;
const PURGE_BATCH = 500;

/** A block's stored deadline (epoch milliseconds), when it is still in force at `now`. */
function activeBlock(value: string | null, now: number): number | undefined {
  const until = value === null ? undefined : Number(value);
  return until !== undefined && until > now ? until : undefined;
}

/** The scripts, as ioredis defines them on the client (EVALSHA, falling back to EVAL after a Redis restart). */
interface ScriptCommands {
  fhirgenState(...args: string[]): Promise<[string[], string[]]>;
  fhirgenStateAt(...args: string[]): Promise<[string[], string[], string?]>;
  fhirgenRecordIssued(...args: string[]): Promise<string[]>;
  fhirgenRevoke(...args: string[]): Promise<number>;
  fhirgenBindAddress(...args: string[]): Promise<string>;
  fhirgenBlockAddress(...args: string[]): Promise<number>;
  fhirgenIncrement(...args: string[]): Promise<[number, string]>;
  fhirgenPurge(...args: string[]): Promise<[number, number]>;
}

const DEFINITIONS: Record<keyof ScriptCommands, { keys: number; lua: string }> = {
  fhirgenState: { keys: 2, lua: scripts.STATE },
  fhirgenStateAt: { keys: 3, lua: scripts.STATE },
  fhirgenRecordIssued: { keys: 3, lua: scripts.RECORD_ISSUED },
  fhirgenRevoke: { keys: 2, lua: scripts.REVOKE },
  fhirgenBindAddress: { keys: 2, lua: scripts.BIND_ADDRESS },
  fhirgenBlockAddress: { keys: 2, lua: scripts.BLOCK_ADDRESS },
  fhirgenIncrement: { keys: 2, lua: scripts.INCREMENT },
  fhirgenPurge: { keys: 1, lua: scripts.PURGE },
};

/** The URL as it may be printed: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/** Connects (or fails with a message naming the URL and what to check), then returns the store. */
export async function openRedisTokenStore(options: RedisTokenStoreOptions): Promise<RedisTokenStore> {
  const where = redactUrl(options.url);
  const client = createClient(options);
  // What Redis or the network said (refused, unknown host, wrong password, no such database): the
  // connection attempt itself only reports that the connection closed.
  let refusal: unknown;
  const remember = (error: unknown) => {
    refusal ??= error;
  };
  client.on('error', remember);
  try {
    await client.connect();
    if (refusal !== undefined) throw refusal;
  } catch (error) {
    client.disconnect();
    throw new TokenStoreUnavailableError(
      `token store: cannot reach Redis at ${where} (${describe(refusal ?? error)}); check that Redis is running there and that security.tokenStore.url (TOKEN_STORE_URL), with its password and database, is right`,
      { cause: error },
    );
  } finally {
    client.off('error', remember);
  }
  return new RedisTokenStore(client, options.keyPrefix ?? DEFAULT_KEY_PREFIX, where);
}

function createClient(options: RedisTokenStoreOptions): Redis {
  // Required here, not imported: only projects that choose Redis need ioredis installed and loaded.
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const settings: RedisOptions = {
    lazyConnect: true,
    // Fail instead of queueing while disconnected, and do not replay commands after a reconnect:
    // a request waiting on a token check must get its 503 now, not hang until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: 2000,
    // Reconnect forever, at most every 2 s, so that the server recovers by itself.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  const client = new RedisClient(options.url, settings);
  for (const [name, { keys, lua }] of Object.entries(DEFINITIONS)) {
    client.defineCommand(name, { numberOfKeys: keys, lua });
  }
  watchConnection(client, redactUrl(options.url), options.onStatus);
  return client;
}

/** One message when the connection is lost and one when it is back, not one per reconnect attempt. */
function watchConnection(client: Redis, where: string, onStatus: ((message: string) => void) | undefined) {
  let connected = false;
  let reconnecting = false;
  // Without an 'error' listener ioredis prints every failed reconnect attempt itself; the failures
  // reach the callers as rejected commands.
  client.on('error', () => {});
  client.on('close', () => {
    if (!connected) return;
    connected = false;
    reconnecting = true;
    onStatus?.(`token store: lost Redis at ${where}; token checks answer 503 until it is back`);
  });
  client.on('ready', () => {
    connected = true;
    if (reconnecting) onStatus?.(`token store: Redis at ${where} is back`);
    reconnecting = false;
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fields(flat: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

function ttlSeconds(deadlineSeconds: number, nowSeconds: number): string {
  return String(Math.max(0, Math.ceil(deadlineSeconds - nowSeconds)) + GRACE_SECONDS);
}

export class RedisTokenStore implements TokenStore {
  private readonly commands: ScriptCommands;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly where: string,
  ) {
    this.commands = client as unknown as ScriptCommands;
  }

  private key(kind: string, name: string): string {
    return `${this.prefix}${kind}:${name}`;
  }

  private index(kind: string): string {
    return `${this.prefix}expiry:${kind}`;
  }

  /** Subject and client, length-prefixed so that no pair of names can produce another pair's key. */
  private ownerKey(subject: string, clientId: string): string {
    return this.key('owner', `${subject.length}:${subject}:${clientId}`);
  }

  /** Runs one command; any failure (no connection, timeout, refused script) means unavailable. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new TokenStoreUnavailableError(`token store: Redis at ${this.where}: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  async recordIssued(token: IssuedToken): Promise<string[]> {
    return this.call(() =>
      this.commands.fhirgenRecordIssued(
        this.key('issued', token.jti),
        this.ownerKey(token.subject, token.clientId),
        this.index('issued'),
        token.jti,
        token.subject,
        token.clientId,
        token.fingerprint,
        String(token.issuedAt),
        String(token.expiresAt),
        ttlSeconds(token.expiresAt, token.issuedAt),
        this.key('issued', ''),
      ),
    );
  }

  async state(jti: string, check?: AddressCheck): Promise<TokenState> {
    const [issuedFields, revokedFields, blockedUntil] = await this.call(() =>
      check === undefined
        ? this.commands.fhirgenState(this.key('issued', jti), this.key('revoked', jti))
        : this.commands.fhirgenStateAt(
            this.key('issued', jti),
            this.key('revoked', jti),
            this.key('block', check.address),
          ),
    );
    const state: TokenState = {};
    const until = check === undefined ? undefined : activeBlock(blockedUntil ?? null, check.now);
    if (until !== undefined) state.blockedUntil = until;
    const issued = fields(issuedFields);
    if (issued.fingerprint !== undefined) {
      state.issued = {
        jti,
        subject: issued.subject as string,
        clientId: issued.clientId as string,
        fingerprint: issued.fingerprint,
        issuedAt: Number(issued.issuedAt),
        expiresAt: Number(issued.expiresAt),
        ...(issued.supersededAt === undefined ? {} : { supersededAt: Number(issued.supersededAt) }),
      };
    }
    const revoked = fields(revokedFields);
    if (revoked.reason !== undefined) {
      state.revocation = { jti, reason: revoked.reason, revokedAt: Number(revoked.revokedAt) };
    }
    return state;
  }

  async revoke(jti: string, reason: string, expiresAt: number, now = Date.now()): Promise<boolean> {
    const revokedAt = Math.floor(now / 1000);
    const result = await this.call(() =>
      this.commands.fhirgenRevoke(
        this.key('revoked', jti),
        this.index('revoked'),
        reason,
        String(revokedAt),
        String(expiresAt),
        ttlSeconds(expiresAt, revokedAt),
        jti,
      ),
    );
    return result === 1;
  }

  async bindAddress(jti: string, address: string, expiresAt: number): Promise<string> {
    return this.call(() =>
      this.commands.fhirgenBindAddress(
        this.key('binding', jti),
        this.index('binding'),
        address,
        String(expiresAt),
        ttlSeconds(expiresAt, Date.now() / 1000),
        jti,
      ),
    );
  }

  async blockAddress(address: string, until: number): Promise<void> {
    const ttlMs = Math.max(0, Math.ceil(until - Date.now())) + GRACE_SECONDS * 1000;
    await this.call(() =>
      this.commands.fhirgenBlockAddress(
        this.key('block', address),
        this.index('block'),
        String(until),
        String(ttlMs),
        address,
      ),
    );
  }

  async blockedUntil(address: string, now: number): Promise<number | undefined> {
    return activeBlock(await this.call(() => this.client.get(this.key('block', address))), now);
  }

  async increment(key: string, windowMs: number, now: number): Promise<CounterValue> {
    const [count, resetAt] = await this.call(() =>
      this.commands.fhirgenIncrement(
        this.key('counter', key),
        this.index('counter'),
        String(now),
        String(now + windowMs),
        String(windowMs + GRACE_SECONDS * 1000),
        key,
      ),
    );
    return { count: Number(count), resetAt: Number(resetAt) };
  }

  /** One SET NX with the use's lifetime as TTL: atomic across instances, forgotten by Redis itself. */
  async useJti(issuer: string, jti: string, expiresAt: number, now: number): Promise<boolean> {
    const ttlMs = Math.max(1, expiresAt * 1000 - now) + GRACE_SECONDS * 1000;
    const key = this.key('jti', `${issuer.length}:${issuer}:${jti}`);
    return (await this.call(() => this.client.set(key, '1', 'PX', ttlMs, 'NX'))) === 'OK';
  }

  /** The same rule as the embedded store: tokens, revocations, bindings by second; blocks, counters by ms. */
  async purgeExpired(now: number): Promise<number> {
    const seconds = Math.floor(now / 1000);
    const bounds: [string, string][] = [
      ['issued', `(${seconds}`],
      ['revoked', `(${seconds}`],
      ['binding', `(${seconds}`],
      ['block', String(now)],
      ['counter', String(now)],
    ];
    let deleted = 0;
    for (const [kind, bound] of bounds) {
      for (;;) {
        const [removed, seen] = await this.call(() =>
          this.commands.fhirgenPurge(this.index(kind), bound, this.key(kind, ''), String(PURGE_BATCH)),
        );
        deleted += Number(removed);
        if (Number(seen) < PURGE_BATCH) break;
      }
    }
    return deleted;
  }

  async ping(): Promise<void> {
    await this.call(() => this.client.ping());
  }

  async close(): Promise<void> {
    // Closing on purpose is not a lost connection.
    this.client.removeAllListeners('close');
    try {
      await this.client.quit();
    } catch {
      // Unreachable Redis: nothing to say goodbye to.
      this.client.disconnect();
    }
  }
}
