import type { KeyObject } from 'node:crypto';
import type { AuditLog } from './audit';
import { type AccessClaims, toAccessClaims } from './claims';
import { matchesFingerprint } from './fingerprint';
import { type Jose, type JWTVerifyGetKey, joseErrorCode, loadJose } from './jose';
import type { TokenStore } from './token-store';

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

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: VerifyFailure };

export interface TokenVerifier {
  verify(token: string): Promise<VerifyResult>;
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

/** jose's verification, mapped to a failure reason; never throws for a bad token. */
export async function verifyJwt(token: string, check: JwtCheck, now: number): Promise<VerifyResult> {
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

  constructor(private readonly options: BuiltinVerifierOptions) {
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<VerifyResult> {
    const { store, check } = this.options;
    const jti = unverifiedJti(await loadJose(), token);
    if (jti === undefined) return { ok: false, reason: 'malformed' };
    const state = await store.state(jti);
    if (state.issued && !matchesFingerprint(token, state.issued.fingerprint)) {
      await this.tampered(jti, state.issued.subject, state.issued.clientId, state.issued.expiresAt);
      return { ok: false, reason: 'tampered' };
    }
    const verified = await verifyJwt(token, check, this.now());
    if (!verified.ok) return verified;
    // Signed with our key yet never recorded: the store was lost or the key leaked; refuse either way.
    if (!state.issued) return { ok: false, reason: 'unknown' };
    if (state.revocation) return { ok: false, reason: 'revoked' };
    if (state.issued.supersededAt !== undefined) return { ok: false, reason: 'superseded' };
    return verified;
  }

  private async tampered(jti: string, subject: string, clientId: string, expiresAt: number): Promise<void> {
    const { store, audit, check } = this.options;
    audit.record({ type: 'token_tampered', jti, subject, clientId });
    if (await store.revoke(jti, 'tampered', expiresAt + check.clockSkewSeconds, this.now())) {
      audit.record({ type: 'token_revoked', jti, subject, clientId, reason: 'tampered' });
    }
  }
}
