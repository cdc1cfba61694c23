import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '../contracts';
import type { AbuseMonitor } from './abuse';
import { clientAddress } from './address';
import type { AuditLog } from './audit';
import { type AccessClaims, toPrincipal } from './claims';
import type { SecurityConfig } from './config';
import { consume } from './rate-limit';
import { sendInvalidToken, sendTooManyRequests, sendUnavailable, UNAVAILABLE } from './responses';
import { isStoreUnavailable, type TokenStore } from './token-store';
import type { TokenVerifier, VerifyFailure } from './verifier';

/**
 * The bearer-token middleware in front of every protected route (RFC 6750): it verifies the token,
 * enforces address binding and the per-token rate limit, and leaves the `Principal` for the
 * handlers in `res.locals.principal` (read it with `principalOf`).
 */
export interface BearerOptions {
  config: Pick<SecurityConfig, 'addressBinding' | 'apiRateLimit' | 'clockSkewSeconds'>;
  verifier: TokenVerifier;
  store: TokenStore;
  audit: AuditLog;
  abuse: AbuseMonitor;
  now?: () => number;
  /** Requests that need no token; by default the CapabilityStatement (`GET <base>/metadata`). */
  isPublic?: (req: Request) => boolean;
}

/** `/metadata` stays public (SECURITY.md "Authorization"): clients read it to learn how to log in. */
export function isCapabilitiesRequest(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /(^|\/)metadata\/?$/.test(req.path);
}

// What the client is told; the audit log keeps the precise reason. Revealing "expired" or "revoked"
// helps honest clients and gives an attacker nothing they could not see in their own token.
const DESCRIPTIONS: Readonly<Record<VerifyFailure | 'missing' | 'address' | 'blocked', string>> = {
  missing: 'no bearer token',
  malformed: 'token invalid',
  invalid: 'token invalid',
  tampered: 'token invalid',
  unknown: 'token invalid',
  expired: 'token expired',
  revoked: 'token revoked',
  superseded: 'token superseded by a newer one',
  unavailable: UNAVAILABLE,
  address: 'token used from another address',
  blocked: 'address blocked',
};

/** RFC 6750 §2.1: `Authorization: Bearer <b64token>`; the scheme name is case-insensitive. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

export function bearerAuth(options: BearerOptions): RequestHandler {
  const now = options.now ?? Date.now;
  const isPublic = options.isPublic ?? isCapabilitiesRequest;
  return (req: Request, res: Response, next: NextFunction) => {
    if (isPublic(req)) {
      next();
      return;
    }
    authenticate(options, now, req, res).then(
      (principal) => {
        if (principal === undefined) return;
        res.locals.principal = principal;
        next();
      },
      (error: unknown) => {
        // Fail closed: without the token state no check can pass (SECURITY.md, token state).
        if (isStoreUnavailable(error) && !res.headersSent) sendUnavailable(res, DESCRIPTIONS.unavailable);
        else next(error);
      },
    );
  };
}

async function authenticate(
  options: BearerOptions,
  now: () => number,
  req: Request,
  res: Response,
): Promise<Principal | undefined> {
  const { store, audit, verifier, config } = options;
  const address = clientAddress(req);
  const token = bearerToken(req.headers.authorization);
  // The verifier reads the address's block with the token's state (one store read); only a request
  // it refused before reading, or one without a token, needs a read of its own.
  const result = token === undefined ? undefined : await verifier.verify(token, { address, now: now() });
  const blocked = result?.addressBlocked ?? (await store.blockedUntil(address, now())) !== undefined;
  if (blocked) {
    audit.record({ type: 'address_blocked', address, reason: 'request refused' });
    return refuse(res, 'blocked');
  }
  if (result === undefined) return refuse(res, 'missing');
  if (!result.ok) {
    if (result.reason === 'unavailable') return void sendUnavailable(res, DESCRIPTIONS.unavailable);
    return refuse(res, result.reason);
  }
  const claims = result.claims;
  if (config.addressBinding.enabled && !(await sameAddress(options, claims, address, now()))) {
    return refuse(res, 'address');
  }
  if (config.apiRateLimit) {
    const decision = await consume(store, `api:${claims.jti}`, config.apiRateLimit, now());
    if (!decision.allowed) {
      audit.record({
        type: 'rate_limited',
        jti: claims.jti,
        subject: claims.sub,
        clientId: claims.client_id,
        address,
      });
      await options.abuse.count('rate_limited', abuseInfo(claims), now());
      return void sendTooManyRequests(res, decision.retryAfterSeconds);
    }
  }
  return toPrincipal(claims);
}

function refuse(res: Response, reason: keyof typeof DESCRIPTIONS): undefined {
  sendInvalidToken(res, DESCRIPTIONS[reason]);
  return undefined;
}

/**
 * The token is bound to the address in its `client_addr` claim, or (tokens of an external issuer)
 * to the first address it was used from. From another address: revoke it and block that address.
 */
async function sameAddress(
  options: BearerOptions,
  claims: AccessClaims,
  address: string,
  now: number,
): Promise<boolean> {
  const { store, audit, config } = options;
  const expiresAt = claims.exp + config.clockSkewSeconds;
  const bound = claims.client_addr ?? (await store.bindAddress(claims.jti, address, expiresAt));
  if (bound === address) return true;
  const who = { jti: claims.jti, subject: claims.sub, clientId: claims.client_id };
  audit.record({ type: 'address_mismatch', ...who, address, reason: `bound to ${bound}` });
  if (await store.revoke(claims.jti, 'address mismatch', expiresAt, now)) {
    audit.record({ type: 'token_revoked', ...who, reason: 'address mismatch' });
  }
  await store.blockAddress(address, now + config.addressBinding.blockSeconds * 1000);
  audit.record({ type: 'address_blocked', ...who, address, reason: 'address mismatch' });
  return false;
}

export function abuseInfo(claims: AccessClaims) {
  return { jti: claims.jti, subject: claims.sub, clientId: claims.client_id, exp: claims.exp };
}
