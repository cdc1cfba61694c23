import { createHash } from 'node:crypto';
import { type AccessClaims, toAccessClaims } from './claims';
import type { ExternalIssuerConfig } from './config';
import { loadJose } from './jose';
import type { TokenStore } from './token-store';
import { blockOf, type TokenVerifier, VerifiedTokenCache, type VerifyResult, verifyJwt } from './verifier';

/**
 * Tokens of an external identity provider: verified against its JWKS (fetched with a time limit,
 * cached, `kid`s only from that set, algorithms from an allow-list) or asked about through its
 * RFC 7662 introspection endpoint (answers cached briefly). Either way the local revocation list
 * still applies, so that address mismatches and abuse revoke them here too.
 */
export interface ExternalVerifierOptions {
  external: ExternalIssuerConfig;
  audience: string;
  clockSkewSeconds: number;
  store: TokenStore;
  now?: () => number;
}

export async function createExternalVerifier(options: ExternalVerifierOptions): Promise<TokenVerifier> {
  const inner = options.external.jwksUrl ? await jwksVerifier(options) : introspectionVerifier(options);
  return {
    async verify(token, address) {
      const result = await inner.verify(token);
      if (!result.ok) return result;
      const state = await options.store.state(result.claims.jti, address);
      return {
        ...(state.revocation ? { ok: false, reason: 'revoked' } : result),
        ...blockOf(state, address),
      };
    },
  };
}

async function jwksVerifier(options: ExternalVerifierOptions): Promise<TokenVerifier> {
  const { external } = options;
  const jose = await loadJose();
  const keySet = jose.createRemoteJWKSet(new URL(external.jwksUrl as string), {
    timeoutDuration: external.timeoutMs,
    cacheMaxAge: external.cacheSeconds * 1000,
    cooldownDuration: Math.min(30_000, external.cacheSeconds * 1000),
  });
  const now = options.now ?? Date.now;
  const check = {
    key: keySet,
    algorithms: external.algorithms,
    issuer: external.issuer,
    audience: options.audience,
    clockSkewSeconds: options.clockSkewSeconds,
    ...(external.typ === undefined ? {} : { typ: external.typ }),
  };
  // Cached no longer than the key set itself, so that a key the issuer withdraws stops counting soon.
  const cache = new VerifiedTokenCache(10_000, external.cacheSeconds * 1000);
  return { verify: (token) => verifyJwt(token, check, now(), cache) };
}

interface CachedAnswer {
  result: VerifyResult;
  until: number;
}

function introspectionVerifier(options: ExternalVerifierOptions): TokenVerifier {
  const cache = new Map<string, CachedAnswer>();
  const now = options.now ?? Date.now;
  return {
    async verify(token) {
      const key = createHash('sha256').update(token).digest('base64url');
      const cached = cache.get(key);
      if (cached && cached.until > now()) return cached.result;
      const result = await introspect(options, token, now());
      if (result.ok || result.reason !== 'unavailable') {
        const lifetime = result.ok
          ? Math.min(options.external.cacheSeconds * 1000, result.claims.exp * 1000 - now())
          : options.external.cacheSeconds * 1000;
        if (cache.size > 10_000) cache.clear();
        cache.set(key, { result, until: now() + lifetime });
      }
      return result;
    },
  };
}

/** RFC 7662 §2.1: POST the token, authenticated as a client of the issuer (Basic, RFC 6749 §2.3.1). */
async function introspect(
  options: ExternalVerifierOptions,
  token: string,
  now: number,
): Promise<VerifyResult> {
  const { url, clientId, clientSecret } = options.external.introspection as NonNullable<
    ExternalIssuerConfig['introspection']
  >;
  const credentials = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
  ).toString('base64');
  let body: Record<string, unknown>;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${credentials}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
      signal: AbortSignal.timeout(options.external.timeoutMs),
      redirect: 'error',
    });
    if (response.status !== 200) return { ok: false, reason: 'unavailable' };
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'unavailable' };
  }
  const claims = activeClaims(options, body, token, now);
  return claims ? { ok: true, claims } : { ok: false, reason: 'invalid' };
}

function activeClaims(
  options: ExternalVerifierOptions,
  body: Record<string, unknown>,
  token: string,
  now: number,
): AccessClaims | undefined {
  if (body === null || typeof body !== 'object' || body.active !== true) return undefined;
  const { issuer } = options.external;
  const aud = body.aud ?? options.audience;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(options.audience)) return undefined;
  if ((body.iss ?? issuer) !== issuer) return undefined;
  if (typeof body.exp !== 'number' || body.exp + options.clockSkewSeconds < now / 1000) return undefined;
  // RFC 7662 makes jti optional; without one, the token's hash stands in for it in the revocation list.
  const jti =
    typeof body.jti === 'string' ? body.jti : createHash('sha256').update(token).digest('base64url');
  return toAccessClaims({
    ...body,
    iss: issuer,
    aud,
    jti,
    iat: typeof body.iat === 'number' ? body.iat : Math.floor(now / 1000),
    client_id: body.client_id,
    sub: body.sub ?? body.client_id,
  } as Record<string, unknown>);
}
