/**
 * The token state a security runtime keeps between requests and across restarts: fingerprints of
 * issued tokens (tamper detection), supersession per subject and client, revocations by `jti`
 * (RFC 7009 §2: revocation applies to the token, which we identify by its `jti`), first-seen address
 * bindings, address blocks, and fixed-window counters (rate limits and abuse detection).
 *
 * Every method is asynchronous so that a networked implementation (Redis) can sit behind the same
 * interface; the embedded SQLite one answers synchronously inside.
 */

/** What the token service records when it issues an access token. */
export interface IssuedToken {
  jti: string;
  subject: string;
  clientId: string;
  /** SHA-256 of the exact compact serialisation that was handed out (base64url). */
  fingerprint: string;
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds; records can be purged after this (plus clock skew). */
  expiresAt: number;
}

export interface IssuedRecord extends IssuedToken {
  /** Epoch seconds at which a newer token for the same subject and client replaced this one. */
  supersededAt?: number;
}

export interface Revocation {
  jti: string;
  reason: string;
  /** Epoch seconds. */
  revokedAt: number;
}

/** Everything known about one `jti`, read in one call on the hot path. */
export interface TokenState {
  issued?: IssuedRecord;
  revocation?: Revocation;
  /**
   * When the state was read together with an address (`state(jti, { address, now })`): the epoch
   * milliseconds until which that address is blocked, or undefined when it is not.
   */
  blockedUntil?: number;
}

/** The address whose block `state` reads in the same call, and the time that decides it. */
export interface AddressCheck {
  address: string;
  /** Epoch milliseconds. */
  now: number;
}

export interface CounterValue {
  count: number;
  /** Epoch milliseconds at which the current window ends. */
  resetAt: number;
}

export interface TokenStore {
  /**
   * Records a newly issued token and supersedes every earlier token of the same subject and client
   * that is not yet superseded. Returns the `jti`s it superseded (for the audit log).
   */
  recordIssued(token: IssuedToken): Promise<string[]>;
  /**
   * The state of a `jti`; with an address, also that address's block (`blockedUntil`), so that an
   * authenticated request costs the store one round trip rather than two.
   */
  state(jti: string, address?: AddressCheck): Promise<TokenState>;
  /**
   * Revokes a `jti` (idempotent: the first reason is kept). `expiresAt` (epoch seconds) says when the
   * revocation may be forgotten because the token would have expired anyway. Returns true when this
   * call revoked it, false when it was already revoked.
   */
  revoke(jti: string, reason: string, expiresAt: number, now?: number): Promise<boolean>;
  /**
   * Binds a `jti` to the first address it is used from, and returns the address it is bound to
   * (the given one on first use). Used for tokens that carry no address claim (external issuers).
   */
  bindAddress(jti: string, address: string, expiresAt: number): Promise<string>;
  /** Blocks an address until `until` (epoch milliseconds); a later block extends an earlier one. */
  blockAddress(address: string, until: number): Promise<void>;
  /** The epoch milliseconds until which the address is blocked, or undefined when it is not. */
  blockedUntil(address: string, now: number): Promise<number | undefined>;
  /** Counts one event under `key` in a fixed window of `windowMs` starting at its first event. */
  increment(key: string, windowMs: number, now: number): Promise<CounterValue>;
  /**
   * Records that `jti` was used by `issuer` (a client's signed assertion, RFC 7523 §3 item 7) and
   * returns true the first time; false when it was used before and `expiresAt` (epoch seconds) of
   * that use has not passed, which is a replay. Kept here, not in memory, so that a replay to
   * another instance is refused too.
   */
  useJti(issuer: string, jti: string, expiresAt: number, now: number): Promise<boolean>;
  /** Deletes what can no longer matter: expired tokens, revocations, bindings, blocks, counters, used jtis. */
  purgeExpired(now: number): Promise<number>;
  /** Resolves when the store answers (readiness checks); rejects with TokenStoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store cannot answer (Redis unreachable or timing out, the SQLite file locked or unreadable).
 * Every method of both implementations throws this for such failures, so that callers can fail
 * closed with 503 (RFC 9110 §15.6.4: a temporary condition) instead of a 500 or, worse, letting a
 * token through unchecked.
 */
export class TokenStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenStoreUnavailableError';
  }
}

export function isStoreUnavailable(error: unknown): error is TokenStoreUnavailableError {
  return error instanceof TokenStoreUnavailableError;
}
