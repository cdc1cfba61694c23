import type { RequestHandler, Router } from 'express';
import { AbuseMonitor } from './abuse';
import { type AuditLog, createAuditLog } from './audit';
import { authRoutes } from './auth-routes';
import { bearerAuth } from './bearer';
import { resolveSecurityConfig, type SecurityConfig, type SecurityOptions } from './config';
import { ScopeEnforcer } from './enforcer';
import { SecurityConfigError } from './errors';
import { createExternalVerifier } from './external';
import { createEphemeralSigningKey, loadOrCreateSigningKey, type SigningKey } from './keys';
import { SqliteTokenStore } from './sqlite-token-store';
import { TokenService } from './token-service';
import type { TokenStore } from './token-store';
import { BuiltinVerifier, type TokenVerifier } from './verifier';

/**
 * Assembles the security runtime of a generated server from its config: the token store, the
 * signing key, the token service and its routes (built-in mode), the bearer middleware and the
 * scope enforcer. The server mounts `routes` at its root and `bearer` in front of the FHIR routes.
 */
export interface SecurityDependencies {
  /** A ready store (Redis, tests), or the SQLite file to open. */
  store?: TokenStore;
  stateFile?: string;
  /** Where audit events go: an AuditLog, a file path or a stream (default: stderr). */
  audit?: AuditLog | string | NodeJS.WritableStream;
  now?: () => number;
}

export interface Security {
  config: SecurityConfig;
  store: TokenStore;
  audit: AuditLog;
  verifier: TokenVerifier;
  enforcer: ScopeEnforcer;
  bearer: RequestHandler;
  /** Auth endpoints and `.well-known` documents; in external mode only the SMART configuration is absent. */
  routes: Router | undefined;
  tokenService: TokenService | undefined;
  key: SigningKey | undefined;
  close(): Promise<void>;
}

export async function createSecurity(
  options: SecurityOptions,
  deps: SecurityDependencies = {},
): Promise<Security> {
  const config = resolveSecurityConfig(options);
  const store = deps.store ?? openStore(deps.stateFile);
  const audit = toAuditLog(deps.audit);
  const now = deps.now ?? Date.now;
  const abuse = new AbuseMonitor(config, store, audit);
  const enforcer = new ScopeEnforcer(audit, abuse, now);
  let key: SigningKey | undefined;
  let verifier: TokenVerifier;
  let tokenService: TokenService | undefined;
  let routes: Router | undefined;
  if (config.mode === 'builtin') {
    key = config.keyFile
      ? await loadOrCreateSigningKey(config.keyFile, config.algorithm)
      : await createEphemeralSigningKey(config.algorithm);
    const check = {
      key: key.publicKey,
      algorithms: [key.alg],
      issuer: config.issuer,
      audience: config.audience,
      typ: 'at+jwt',
      // Our own tokens are checked against the clock that signed them: no leeway, so that they are
      // accepted until their `exp` and not one second longer. `clockSkewSeconds` is for other clocks.
      clockSkewSeconds: 0,
    };
    verifier = new BuiltinVerifier({ check, store, audit, now });
    tokenService = new TokenService({ config, key, store, audit, verifier, now });
    routes = authRoutes({ config, service: tokenService, key, store, audit, now });
  } else {
    const external = config.external as NonNullable<SecurityConfig['external']>;
    verifier = await createExternalVerifier({
      external,
      audience: config.audience,
      clockSkewSeconds: config.clockSkewSeconds,
      store,
      now,
    });
  }
  const bearer = bearerAuth({ config, verifier, store, audit, abuse, now });
  const purge = schedulePurge(store, now);
  const close = async () => {
    clearInterval(purge);
    await store.close();
  };
  return { config, store, audit, verifier, enforcer, bearer, routes, tokenService, key, close };
}

const PURGE_INTERVAL_MS = 10 * 60_000;

/** Forgets expired token records now and then; unref'd so that it never keeps the process alive. */
function schedulePurge(store: TokenStore, now: () => number): NodeJS.Timeout {
  const timer = setInterval(() => {
    store.purgeExpired(now()).catch(() => undefined);
  }, PURGE_INTERVAL_MS);
  timer.unref();
  return timer;
}

function openStore(file: string | undefined): TokenStore {
  if (!file) throw new SecurityConfigError('stateFile', 'give the token state file (or a store)');
  return new SqliteTokenStore({ file });
}

function toAuditLog(audit: SecurityDependencies['audit']): AuditLog {
  if (audit === undefined) return createAuditLog(process.stderr);
  if (typeof audit === 'string' || 'write' in audit)
    return createAuditLog(audit as string | NodeJS.WritableStream);
  return audit;
}
