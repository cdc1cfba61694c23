import type { KeyObject } from 'node:crypto';
import type { AuditLog } from './audit';
import { type AccessClaims, toAccessClaims } from './claims';
import { matchesFingerprint } from './fingerprint';
import { type Jose, type JWTVerifyGetKey, joseErrorCode, loadJose } from './jose';
import type { AddressCheck, TokenState, TokenStore } from './token-store';

/**
 * Decides whether an access token is good: jose verifies signature, algorithm, `iss`, `aud`, `typ`
 * and times; the token store says whether the `jti` was issued here with these exact bytes, and
 * whether it was revoked or superseded since.
 */
export type VerifyFailure =
  | 'malformed'
  | 'invalid'
  | 'expired'
  | 'tampered'
  | 'unknown'
  | 'revoked'
  | 'superseded'
  | 'unavailable';

export type VerifyResult = ({ ok: true; claims: AccessClaims } | { ok: false; reason: VerifyFailure }) & {
  /**
   * Whether the address given to `verify` is blocked, when the verifier read that together with the
   * token's state; absent when it did not (a token refused before any store read).
   */
  addressBlocked?: boolean;
};

export interface TokenVerifier {
  /** With an address, also reports its block (`addressBlocked`) whenever the token's state was read. */
  verify(token: string, address?: AddressCheck): Promise<VerifyResult>;
}

export interface JwtCheck {
  key: KeyObject | JWTVerifyGetKey;
  algorithms: string[];
  issuer: string;
  audience: string;
  /** RFC 9068 §2.1 `typ` header; undefined accepts any. */
  typ?: string;
  clockSkewSeconds: number;
}

const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'client_id', 'jti', 'iat', 'exp'];

/**
 * Tokens jose has already verified, keyed by their exact serialisation, so that a client presenting
 * the same token on every request pays for one signature check, not one per request. A hit still
 * has its expiry checked here; revocation and supersession are checked by the callers every time.
 * Entries live at most `maxAgeMs` (so that a key removed from a remote key set stops counting).
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { claims: AccessClaims; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 5 * 60_000,
  ) {}

  get(token: string, now: number, skewSeconds: number): VerifyResult | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(token);
      return undefined;
    }
    // Expired from the second `exp` names on, as jose decides (RFC 7519 §4.1.4: "on or after").
    if (now / 1000 >= entry.claims.exp + skewSeconds) return { ok: false, reason: 'expired' };
    return { ok: true, claims: entry.claims };
  }

  set(token: string, claims: AccessClaims, now: number, skewSeconds: number): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const until = Math.min(now + this.maxAgeMs, (claims.exp + skewSeconds) * 1000);
    this.entries.set(token, { claims, until });
  }
}

/** jose's verification, mapped to a failure reason; never throws for a bad token. */
export async function verifyJwt(
  token: string,
  check: JwtCheck,
  now: number,
  cache?: VerifiedTokenCache,
): Promise<VerifyResult> {
  const cached = cache?.get(token, now, check.clockSkewSeconds);
  if (cached) return cached;
  const result = await verifyUncached(token, check, now);
  if (result.ok) cache?.set(token, result.claims, now, check.clockSkewSeconds);
  return result;
}

async function verifyUncached(token: string, check: JwtCheck, now: number): Promise<VerifyResult> {
  try {
    const { jwtVerify } = await loadJose();
    const { payload } = await jwtVerify(token, check.key as KeyObject, {
      algorithms: check.algorithms,
      issuer: check.issuer,
      audience: check.audience,
      typ: check.typ,
      clockTolerance: check.clockSkewSeconds,
      requiredClaims: REQUIRED_CLAIMS,
      currentDate: new Date(now),
    });
    const claims = toAccessClaims(payload);
    return claims ? { ok: true, claims } : { ok: false, reason: 'invalid' };
  } catch (error) {
    const code = joseErrorCode(error);
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired' };
    if (code === 'ERR_JWKS_TIMEOUT') return { ok: false, reason: 'unavailable' };
    if (code !== undefined) return { ok: false, reason: 'invalid' };
    // Anything else comes from fetching a remote key set (refused connection, bad JSON...): that is
    // not the client's fault, and the token is not accepted either.
    return { ok: false, reason: 'unavailable' };
  }
}

/** The `jti` of a token before verification, only to find what the store knows about it. */
export function unverifiedJti(jose: Jose, token: string): string | undefined {
  try {
    const { jti } = jose.decodeJwt(token);
    return typeof jti === 'string' && jti.length > 0 && jti.length <= 200 ? jti : undefined;
  } catch {
    return undefined;
  }
}

export interface BuiltinVerifierOptions {
  check: JwtCheck;
  store: TokenStore;
  audit: AuditLog;
  now?: () => number;
}

/** Tokens of the built-in token service: only those it issued, byte for byte, are accepted. */
export class BuiltinVerifier implements TokenVerifier {
  private readonly now: () => number;
  private readonly cache = new VerifiedTokenCache();

  constructor(private readonly options: BuiltinVerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  async verify(token: string, address?: AddressCheck): Promise<VerifyResult> {
    const { store, check } = this.options;
    // These exact bytes passed jose and the fingerprint before: only their current state can change.
    const cached = this.cache.get(token, this.now(), check.clockSkewSeconds);
    if (cached) {
      if (!cached.ok) return cached;
      const state = await store.state(cached.claims.jti, address);
      return { ...currentState(state, cached), ...blockOf(state, address) };
    }
    const jti = unverifiedJti(await loadJose(), token);
    if (jti === undefined) return { ok: false, reason: 'malformed' };
    const state = await store.state(jti, address);
    if (state.issued && !matchesFingerprint(token, state.issued.fingerprint)) {
      await this.tampered(jti, state.issued.subject, state.issued.clientId, state.issued.expiresAt);
      return { ok: false, reason: 'tampered', ...blockOf(state, address) };
    }
    const verified = await verifyJwt(token, check, this.now(), this.cache);
    return { ...(verified.ok ? currentState(state, verified) : verified), ...blockOf(state, address) };
  }

  private async tampered(jti: string, subject: string, clientId: string, expiresAt: number): Promise<void> {
    const { store, audit, check } = this.options;
    audit.record({ type: 'token_tampered', jti, subject, clientId });
    if (await store.revoke(jti, 'tampered', expiresAt + check.clockSkewSeconds, this.now())) {
      audit.record({ type: 'token_revoked', jti, subject, clientId, reason: 'tampered' });
    }
  }
}

/** The `addressBlocked` part of a result, from a state read with (or without) an address. */
export function blockOf(state: TokenState, address: AddressCheck | undefined): { addressBlocked?: boolean } {
  return address === undefined ? {} : { addressBlocked: state.blockedUntil !== undefined };
}

function currentState(state: TokenState, verified: VerifyResult & { ok: true }): VerifyResult {
  // Signed with our key yet never recorded: the store was lost or the key leaked; refuse either way.
  if (!state.issued) return { ok: false, reason: 'unknown' };
  if (state.revocation) return { ok: false, reason: 'revoked' };
  if (state.issued.supersededAt !== undefined) return { ok: false, reason: 'superseded' };
  return verified;
}
