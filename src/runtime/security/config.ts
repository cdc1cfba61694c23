import { SecurityConfigError } from './errors';
import type { JWK } from './jose';
import type { SigningAlgorithm } from './keys';
import { isSecretHash } from './secrets';

/**
 * Everything the security runtime can be told, with the defaults SECURITY.md asks for. The
 * generated project's config loader fills a `SecurityOptions` from its file and environment, and
 * `resolveSecurityConfig` checks it and applies defaults once, at start.
 */

/** A confidential client of the built-in token service (RFC 6749 §2.1). */
export interface ClientConfig {
  clientId: string;
  /** scrypt hash from `hashSecret`; clients without one (or keys) may use only the password grant. */
  secretHash?: string;
  /**
   * Public keys (RFC 7517 set) of a SMART Backend Services client, which authenticates with a JWT
   * signed by its private key (`private_key_jwt`, RFC 7523) instead of a secret.
   */
  jwks?: { keys: JWK[] };
  /** Where such a client publishes its key set instead (https, or http on a loopback address). */
  jwksUrl?: string;
  /** The scopes this client may be granted (exact SMART scope strings). */
  scopes: string[];
  grantTypes?: GrantType[];
  /** Patient in context for `patient/` scopes granted through client credentials. */
  patient?: string;
}

/** A user of the development password grant (RFC 6749 §4.3). */
export interface UserConfig {
  username: string;
  passwordHash: string;
  scopes: string[];
  patient?: string;
}

export type GrantType = 'client_credentials' | 'password';

export interface RateLimitConfig {
  limit: number;
  windowSeconds: number;
}

/** Verifying tokens of another issuer instead of (or as well as) issuing them. */
export interface ExternalIssuerConfig {
  issuer: string;
  /** RFC 7517 key set of the issuer; `kid`s are looked up in it only. */
  jwksUrl?: string;
  /** RFC 7662 introspection endpoint and the credentials to call it with. */
  introspection?: { url: string; clientId: string; clientSecret: string };
  algorithms: string[];
  /** `typ` header required on access tokens (RFC 9068 §2.1); undefined to accept any. */
  typ?: string;
  timeoutMs: number;
  cacheSeconds: number;
}

export interface SecurityConfig {
  /** `iss` of issued tokens, and the public base URL of the auth endpoints. */
  issuer: string;
  /** `aud` of issued tokens and the audience required on incoming ones (RFC 9068 §4). */
  audience: string;
  mode: 'builtin' | 'external';
  algorithm: SigningAlgorithm;
  keyFile?: string;
  tokenLifetimeSeconds: number;
  /** Tolerance on `exp`/`nbf`/`iat`; SECURITY.md caps it at 60 s. */
  clockSkewSeconds: number;
  clients: ClientConfig[];
  users: UserConfig[];
  addressBinding: { enabled: boolean; blockSeconds: number };
  tokenRateLimit: RateLimitConfig;
  /** Requests per token on the API; undefined leaves the API without a per-token limit. */
  apiRateLimit?: RateLimitConfig;
  abuse: { scopeDenials: number; rateLimitTrips: number; windowSeconds: number };
  external?: ExternalIssuerConfig;
}

export type SecurityOptions = Partial<Omit<SecurityConfig, 'issuer' | 'audience' | 'external'>> & {
  issuer: string;
  audience?: string;
  external?: Partial<ExternalIssuerConfig> & { issuer: string };
};

const MAX_SKEW_SECONDS = 60;

export function resolveSecurityConfig(options: SecurityOptions): SecurityConfig {
  const config: SecurityConfig = {
    ...options,
    mode: options.mode ?? (options.external ? 'external' : 'builtin'),
    algorithm: options.algorithm ?? 'EdDSA',
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 600,
    clockSkewSeconds: options.clockSkewSeconds ?? 30,
    clients: options.clients ?? [],
    users: options.users ?? [],
    addressBinding: options.addressBinding ?? { enabled: true, blockSeconds: 900 },
    tokenRateLimit: options.tokenRateLimit ?? { limit: 30, windowSeconds: 60 },
    abuse: options.abuse ?? { scopeDenials: 10, rateLimitTrips: 5, windowSeconds: 60 },
    audience: options.audience ?? options.issuer,
    external: options.external ? resolveExternal(options.external) : undefined,
  };
  validate(config);
  return config;
}

function resolveExternal(external: Partial<ExternalIssuerConfig> & { issuer: string }): ExternalIssuerConfig {
  return {
    algorithms: ['EdDSA', 'ES256', 'RS256', 'PS256'],
    typ: 'at+jwt',
    timeoutMs: 3000,
    cacheSeconds: 30,
    ...external,
  };
}

function validate(config: SecurityConfig): void {
  if (!/^https?:\/\/[^\s]+$/.test(config.issuer)) {
    throw new SecurityConfigError('issuer', `must be an absolute http(s) URL, got "${config.issuer}"`);
  }
  if (config.algorithm !== 'EdDSA' && config.algorithm !== 'ES256') {
    throw new SecurityConfigError('algorithm', 'must be EdDSA or ES256');
  }
  if (!(config.clockSkewSeconds >= 0 && config.clockSkewSeconds <= MAX_SKEW_SECONDS)) {
    throw new SecurityConfigError('clockSkewSeconds', `must be between 0 and ${MAX_SKEW_SECONDS}`);
  }
  if (!(config.tokenLifetimeSeconds >= 30 && config.tokenLifetimeSeconds <= 3600)) {
    throw new SecurityConfigError('tokenLifetimeSeconds', 'must be between 30 and 3600 (short-lived tokens)');
  }
  if (config.mode === 'external') validateExternal(config.external);
  const ids = new Set<string>();
  for (const client of config.clients) {
    if (ids.has(client.clientId))
      throw new SecurityConfigError('clients', `duplicate client ${client.clientId}`);
    ids.add(client.clientId);
    // Secrets are kept hashed (SECURITY.md "Tokens"): a plain secret in the config is refused.
    if (client.secretHash !== undefined && !isSecretHash(client.secretHash)) {
      throw new SecurityConfigError(
        'clients',
        `${client.clientId}: secretHash is not a scrypt hash (use hashSecret)`,
      );
    }
    const problem = clientKeysProblem(client);
    if (problem) throw new SecurityConfigError('clients', `${client.clientId}: ${problem}`);
  }
  for (const user of config.users) {
    if (!isSecretHash(user.passwordHash)) {
      throw new SecurityConfigError(
        'users',
        `${user.username}: passwordHash is not a scrypt hash (use hashSecret)`,
      );
    }
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * What is wrong with a client's keys, if anything: one authentication method per client, public
 * keys only (a private key in the config would let anyone who reads it sign as the client), of the
 * types RS384 and ES384 need, and a key set URL over https (SMART Backend Services), http being
 * allowed on loopback only.
 */
export function clientKeysProblem(
  client: Pick<ClientConfig, 'secretHash' | 'jwks' | 'jwksUrl'>,
): string | undefined {
  const methods = [client.secretHash, client.jwks, client.jwksUrl].filter((item) => item !== undefined);
  if (methods.length > 1) return 'give one of secretHash, jwks and jwksUrl';
  if (client.jwks !== undefined) {
    const keys = (client.jwks as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) return 'jwks must be a key set: {"keys": [...]}';
    for (const key of keys as Record<string, unknown>[]) {
      if (typeof key !== 'object' || key === null) return 'jwks holds something that is not a key';
      if ('d' in key || 'p' in key || 'k' in key) return 'jwks must hold public keys only';
      if (key.kty !== 'RSA' && !(key.kty === 'EC' && key.crv === 'P-384')) {
        return 'jwks keys must be RSA (RS384) or EC P-384 (ES384)';
      }
      // RS384 with a modulus under 2048 bits is refused by the verifier (RFC 7518 §3.3), so such a
      // key could never sign in: say so when it is registered, not at its first token request.
      if (key.kty === 'RSA' && rsaModulusBits(key.n) < 2048) {
        return 'jwks RSA keys must have a modulus of at least 2048 bits';
      }
    }
  }
  if (client.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(client.jwksUrl);
    } catch {
      return `jwksUrl is not a URL: ${client.jwksUrl}`;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      return 'jwksUrl must be https (http only on a loopback address)';
    }
  }
  return undefined;
}

function rsaModulusBits(n: unknown): number {
  return typeof n === 'string' ? Buffer.from(n, 'base64url').length * 8 : 0;
}

function validateExternal(external: ExternalIssuerConfig | undefined): void {
  if (!external) throw new SecurityConfigError('external', 'external mode needs an issuer');
  if (!external.jwksUrl && !external.introspection) {
    throw new SecurityConfigError('external', 'give jwksUrl or introspection');
  }
  const forbidden = external.algorithms.filter((alg) => alg === 'none' || alg.startsWith('HS'));
  if (forbidden.length > 0) {
    throw new SecurityConfigError('external.algorithms', `not allowed: ${forbidden.join(', ')}`);
  }
}

/** Start-up warnings about settings that weaken or hobble security; the server logs each. */
export function securityWarnings(config: SecurityConfig): string[] {
  const warnings: string[] = [];
  if (!config.addressBinding.enabled) {
    warnings.push('address binding is off: a stolen token works from any address until it expires');
  }
  if (config.mode === 'builtin' && config.users.length > 0) {
    warnings.push('the password grant is on: it is meant for development only (RFC 9700 §2.4 forbids it)');
  }
  if (config.mode === 'builtin' && !config.keyFile) {
    warnings.push('no keyFile: the signing key lives in memory and every token dies with the process');
  }
  if (config.mode === 'builtin' && config.clients.length === 0) {
    warnings.push('no clients are registered: nobody can obtain a token');
  }
  return warnings;
}
