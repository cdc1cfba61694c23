import type { ClientConfig } from './config';
import { type Jose, type JWTVerifyGetKey, joseErrorCode, loadJose } from './jose';
import type { TokenStore } from './token-store';

/**
 * Client authentication with a signed JWT (`private_key_jwt`), as SMART App Launch 2.x "Backend
 * Services" asks of system-to-system clients (RFC 7523 §2.2 and §3, RFC 7521 §4.2): the client signs
 * an assertion with its private key, and the server verifies it against the public keys registered
 * for the client (`jwks` inline, or `jwksUrl` fetched with a time limit and cached). jose does every
 * cryptographic check; this module only decides which keys and which claims count.
 */
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** SMART Backend Services: servers SHALL support RS384 and ES384; nothing else is accepted. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];

/** SMART Backend Services: `exp` no more than five minutes in the future. */
const MAX_LIFETIME_SECONDS = 300;
const JWKS_TIMEOUT_MS = 3000;
const JWKS_CACHE_MS = 5 * 60_000;
const JWKS_COOLDOWN_MS = 30_000;

export type AssertionResult =
  | { ok: true; client: ClientConfig }
  | { ok: false; clientId?: string; reason: string };

export interface ClientAssertionOptions {
  clients: ReadonlyMap<string, ClientConfig>;
  /** The token endpoint's URL: the only `aud` accepted (RFC 7523 §3 item 3). */
  tokenEndpoint: string;
  /** Leeway for the client's clock, which is not ours (`clockSkewSeconds`). */
  clockSkewSeconds: number;
  store: TokenStore;
  now: () => number;
}

export function isAssertionClient(client: ClientConfig): boolean {
  return client.jwks !== undefined || client.jwksUrl !== undefined;
}

export class ClientAssertionVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly options: ClientAssertionOptions) {}

  async verify(assertion: string): Promise<AssertionResult> {
    const jose = await loadJose();
    const clientId = unverifiedIssuer(jose, assertion);
    const client = clientId === undefined ? undefined : this.options.clients.get(clientId);
    if (clientId === undefined || !client || !isAssertionClient(client)) {
      return { ok: false, ...(clientId === undefined ? {} : { clientId }), reason: 'unknown client' };
    }
    const { store, now, clockSkewSeconds } = this.options;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(assertion, this.keySetOf(jose, client), {
        algorithms: ASSERTION_ALGORITHMS,
        // RFC 7523 §3 items 1 and 2: iss and sub are both the client id.
        issuer: clientId,
        subject: clientId,
        audience: this.options.tokenEndpoint,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
        clockTolerance: clockSkewSeconds,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      return { ok: false, clientId, reason: refusal(error) };
    }
    const exp = payload.exp as number;
    if (exp > now() / 1000 + MAX_LIFETIME_SECONDS + clockSkewSeconds) {
      return { ok: false, clientId, reason: 'exp more than 5 minutes ahead' };
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 255) {
      return { ok: false, clientId, reason: 'jti missing or invalid' };
    }
    // RFC 7523 §3 item 7 and SMART: a jti is used once; the store makes that hold across instances.
    if (!(await store.useJti(clientId, jti, exp + clockSkewSeconds, now()))) {
      return { ok: false, clientId, reason: 'jti replayed' };
    }
    return { ok: true, client };
  }

  /** One key set per client, kept so that a remote one keeps its cache between requests. */
  private keySetOf(jose: Jose, client: ClientConfig): JWTVerifyGetKey {
    let keySet = this.keySets.get(client.clientId);
    if (!keySet) {
      keySet = client.jwks
        ? jose.createLocalJWKSet(client.jwks as Parameters<Jose['createLocalJWKSet']>[0])
        : jose.createRemoteJWKSet(new URL(client.jwksUrl as string), {
            timeoutDuration: JWKS_TIMEOUT_MS,
            cacheMaxAge: JWKS_CACHE_MS,
            cooldownDuration: JWKS_COOLDOWN_MS,
          });
      this.keySets.set(client.clientId, keySet);
    }
    return keySet;
  }
}

function unverifiedIssuer(jose: Jose, assertion: string): string | undefined {
  try {
    const { iss } = jose.decodeJwt(assertion);
    return typeof iss === 'string' && iss.length > 0 && iss.length <= 64 ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** The audit reason for a failed verification; the client is only told `invalid_client`. */
function refusal(error: unknown): string {
  const code = joseErrorCode(error);
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'assertion expired';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no registered key matches';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature invalid';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim ${String((error as { claim?: unknown }).claim)} invalid`;
    case 'ERR_JWKS_TIMEOUT':
      return 'key set unavailable';
    case undefined:
      // Not a jose error: the key set URL could not be fetched, or the key cannot verify (jose throws
      // a TypeError for an RSA key under 2048 bits). The message tells which, in the audit log only.
      return `key set unavailable or key unusable: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
    default:
      return `assertion invalid (${code})`;
  }
}
