import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { clientAddress } from './address';
import type { AuditLog } from './audit';
import { ASSERTION_ALGORITHMS, ASSERTION_TYPE } from './client-assertion';
import type { ClientConfig, SecurityConfig } from './config';
import { AUTH_PATHS } from './endpoints';
import type { SigningKey } from './keys';
import { consume } from './rate-limit';
import { RETRY_AFTER_SECONDS } from './responses';
import { OAuthError, type TokenService } from './token-service';
import { isStoreUnavailable, type TokenStore } from './token-store';

/**
 * The HTTP face of the built-in token service: `/auth/token`, `/auth/revoke`, `/auth/introspect`
 * (form-encoded POSTs, RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1), and the public
 * `/.well-known/jwks.json` and `/.well-known/smart-configuration`.
 */
export interface AuthRoutesOptions {
  config: SecurityConfig;
  service: TokenService;
  key: SigningKey;
  store: TokenStore;
  audit: AuditLog;
  now?: () => number;
}

export { AUTH_PATHS };

type Form = Record<string, string | undefined>;

export function authRoutes(options: AuthRoutesOptions): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const limited = rateLimited(options);
  router.post(AUTH_PATHS.token, limited, form, handle(options, tokenEndpoint));
  router.post(AUTH_PATHS.revoke, limited, form, handle(options, revokeEndpoint));
  router.post(AUTH_PATHS.introspect, limited, form, handle(options, introspectEndpoint));
  router.get(AUTH_PATHS.jwks, (_req, res) => {
    res.json({ keys: [options.key.publicJwk] });
  });
  router.get(AUTH_PATHS.smart, (_req, res) => {
    res.json(smartConfiguration(options.config));
  });
  router.use(authErrors);
  return router;
}

/**
 * Errors on the auth endpoints (an oversized or unparsable form, a failing store) answer in the
 * OAuth error format (RFC 6749 §5.2), never with Express's default page and its stack trace. A
 * token store that cannot answer is a 503 `temporarily_unavailable` (the code RFC 6749 §4.1.2.1
 * defines for this condition): nothing is issued, revoked or introspected without it.
 */
function authErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  res.setHeader('Cache-Control', 'no-store');
  if (isStoreUnavailable(error)) {
    oauthError(
      res,
      503,
      'temporarily_unavailable',
      'the token state cannot be reached; try again shortly',
      RETRY_AFTER_SECONDS * 1000,
    );
    return;
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    oauthError(res, status, 'invalid_request', 'the request could not be read');
    return;
  }
  oauthError(res, 500, 'server_error', 'the request could not be processed');
}

/** SMART App Launch 2.0 "Discovery": the endpoints and what they support. */
export function smartConfiguration(config: SecurityConfig) {
  const base = config.issuer.replace(/\/$/, '');
  return {
    issuer: config.issuer,
    jwks_uri: `${base}${AUTH_PATHS.jwks}`,
    token_endpoint: `${base}${AUTH_PATHS.token}`,
    revocation_endpoint: `${base}${AUTH_PATHS.revoke}`,
    introspection_endpoint: `${base}${AUTH_PATHS.introspect}`,
    grant_types_supported: ['client_credentials', ...(config.users.length > 0 ? ['password'] : [])],
    // SMART Backend Services: private_key_jwt with RS384 or ES384 (RFC 7523 §2.2).
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    scopes_supported: [
      ...new Set(config.clients.flatMap((c) => c.scopes).concat(config.users.flatMap((u) => u.scopes))),
    ],
    capabilities: [
      'client-confidential-asymmetric',
      'client-confidential-symmetric',
      'permission-v1',
      'permission-v2',
      'permission-patient',
      'permission-user',
    ],
  };
}

function rateLimited(options: AuthRoutesOptions) {
  const now = options.now ?? Date.now;
  return async (req: Request, res: Response, next: () => void) => {
    const address = clientAddress(req);
    const blockedUntil = await options.store.blockedUntil(address, now());
    if (blockedUntil !== undefined) {
      options.audit.record({ type: 'address_blocked', address, reason: 'token endpoint refused' });
      return oauthError(
        res,
        403,
        'access_denied',
        'this address is blocked for a while',
        blockedUntil - now(),
      );
    }
    const decision = await consume(options.store, `auth:${address}`, options.config.tokenRateLimit, now());
    if (decision.allowed) return next();
    options.audit.record({ type: 'rate_limited', address, reason: req.path });
    res.setHeader('Retry-After', String(decision.retryAfterSeconds));
    return oauthError(res, 429, 'slow_down', 'too many requests; retry later');
  };
}

type Endpoint = (options: AuthRoutesOptions, req: Request, res: Response, body: Form) => Promise<void>;

function handle(options: AuthRoutesOptions, endpoint: Endpoint) {
  return async (req: Request, res: Response) => {
    // RFC 6749 §5.1: token responses (and errors) must not be cached.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    if (!req.is('application/x-www-form-urlencoded')) {
      return oauthError(res, 400, 'invalid_request', 'send application/x-www-form-urlencoded');
    }
    const body = (req.body ?? {}) as Form;
    if (Object.values(body).some((value) => typeof value !== 'string')) {
      return oauthError(res, 400, 'invalid_request', 'each parameter must appear once');
    }
    try {
      await endpoint(options, req, res, body);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (error.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="auth"');
      oauthError(res, error.status, error.error, error.description);
    }
  };
}

function oauthError(
  res: Response,
  status: number,
  error: string,
  description: string,
  retryMs?: number,
): void {
  if (retryMs !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryMs / 1000))));
  res.status(status).json({ error, error_description: description });
}

/**
 * RFC 6749 §2.3.1: HTTP Basic (form-urlencoded id and secret) or the body, never both; or a signed
 * assertion (RFC 7521 §4.2), alone too.
 */
async function authenticate(options: AuthRoutesOptions, req: Request, body: Form): Promise<ClientConfig> {
  if (body.client_assertion !== undefined || body.client_assertion_type !== undefined) {
    return assertedClient(options, req, body);
  }
  const basic = parseBasic(req.headers.authorization);
  if (basic && (body.client_id !== undefined || body.client_secret !== undefined)) {
    throw new OAuthError('invalid_request', 'use one client authentication method');
  }
  const clientId = basic?.id ?? body.client_id;
  const secret = basic ? basic.secret : body.client_secret;
  const client =
    clientId === undefined ? undefined : await options.service.authenticateClient(clientId, secret);
  if (!client) {
    options.audit.record({ type: 'client_auth_failed', clientId, address: clientAddress(req) });
    throw new OAuthError('invalid_client', 'client authentication failed');
  }
  return client;
}

/** RFC 7521 §4.2 and RFC 7523 §3: every refusal is `400 invalid_client`, its reason audited only. */
async function assertedClient(options: AuthRoutesOptions, req: Request, body: Form): Promise<ClientConfig> {
  if (req.headers.authorization !== undefined || body.client_secret !== undefined) {
    throw new OAuthError('invalid_request', 'use one client authentication method');
  }
  const refuse = (reason: string, clientId?: string): never => {
    options.audit.record({ type: 'client_auth_failed', clientId, address: clientAddress(req), reason });
    throw new OAuthError('invalid_client', 'client authentication failed', 400);
  };
  if (body.client_assertion_type !== ASSERTION_TYPE || body.client_assertion === undefined) {
    return refuse('unsupported client_assertion_type or no client_assertion', body.client_id);
  }
  const result = await options.service.authenticateAssertion(body.client_assertion);
  if (!result.ok) return refuse(result.reason, result.clientId);
  // RFC 7521 §4.2: a client_id sent along must name the client the assertion is about.
  if (body.client_id !== undefined && body.client_id !== result.client.clientId) {
    return refuse('client_id differs from the assertion', body.client_id);
  }
  return result.client;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

const tokenEndpoint: Endpoint = async (options, req, res, body) => {
  const client = await authenticate(options, req, body);
  const address = clientAddress(req);
  let response: Awaited<ReturnType<TokenService['clientCredentials']>>;
  if (body.grant_type === 'client_credentials') {
    response = await options.service.clientCredentials(client, body.scope, address);
  } else if (body.grant_type === 'password') {
    if (body.username === undefined || body.password === undefined) {
      throw new OAuthError('invalid_request', 'username and password are required');
    }
    response = await options.service.password(client, body.username, body.password, body.scope, address);
  } else {
    throw new OAuthError('unsupported_grant_type', 'use client_credentials or password');
  }
  res.status(200).json(response);
};

const revokeEndpoint: Endpoint = async (options, req, res, body) => {
  const client = await authenticate(options, req, body);
  if (body.token === undefined) throw new OAuthError('invalid_request', 'token is required');
  await options.service.revoke(body.token, client);
  // RFC 7009 §2.2: 200 whether or not the token was known; the body is ignored by clients.
  res.status(200).end();
};

const introspectEndpoint: Endpoint = async (options, req, res, body) => {
  await authenticate(options, req, body);
  if (body.token === undefined) throw new OAuthError('invalid_request', 'token is required');
  res.status(200).json(await options.service.introspect(body.token));
};
