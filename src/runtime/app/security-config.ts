/**
 * The `security` section of a generated project's `fhirgen.config.json`, overlaid by the
 * environment, checked at start (a bad value stops the server with a message naming it). Security
 * is on unless the file says `"enabled": false` or the environment `SECURITY=off`.
 *
 * Environment: SECURITY (`on`/`off`), TOKEN_ISSUER, TOKEN_AUDIENCE, SECURITY_STATE_DIR, AUDIT_LOG
 * (a file, or `stderr`), TOKEN_LIFETIME_SECONDS, ADDRESS_BINDING (`on`/`off`), TRANSPORT
 * (`http`/`https`), TLS_KEY_FILE / TLS_CERT_FILE or TLS_KEY_PEM / TLS_CERT_PEM, TRUST_PROXY
 * (`false`, a hop count, or comma-separated addresses/subnets such as `loopback,10.0.0.0/8`),
 * REDIRECT_PORT, PUBLIC_HOST, HSTS_MAX_AGE, TOKEN_STORE (`sqlite`/`redis`), TOKEN_STORE_URL,
 * TOKEN_STORE_PREFIX.
 */
import path from 'node:path';
import { ConfigError } from '../config';
import type { SecurityOptions } from '../security/config';
import { DEFAULT_HSTS, type TlsSource, type TransportConfig, tlsFromEnv } from '../security/transport';
import { readTokenStore, type TokenStoreSettings } from './security-store';

export interface ProjectSecuritySettings {
  enabled: boolean;
  /** Everything but the issuer, which defaults to the address the server listens on. */
  options: Omit<SecurityOptions, 'issuer'> & { issuer?: string };
  /** Where the signing key and the token state live (absolute). */
  stateDir: string;
  /** Audit log file (absolute), or `stderr`. */
  auditLog: string;
  transport: TransportConfig;
  /** Where the token state lives: the SQLite file in `stateDir`, or a Redis shared by instances. */
  tokenStore: TokenStoreSettings;
}

/** Settings handed to the security runtime as written (it checks them itself). */
const PASSED_THROUGH = [
  'issuer',
  'audience',
  'algorithm',
  'tokenLifetimeSeconds',
  'clockSkewSeconds',
  'clients',
  'users',
  'addressBinding',
  'tokenRateLimit',
  'apiRateLimit',
  'abuse',
  'external',
] as const;
const OWN = new Set(['enabled', 'stateDir', 'auditLog', 'transport', 'tokenStore']);
const TRANSPORT_KEYS = new Set(['mode', 'tls', 'hsts', 'trustProxy', 'redirectPort', 'publicHost']);

export function readSecuritySettings(
  section: unknown,
  env: NodeJS.ProcessEnv,
  projectDir: string,
): ProjectSecuritySettings {
  const problems: string[] = [];
  const file = asObject(section, 'security', problems);
  for (const key of Object.keys(file)) {
    if (!OWN.has(key) && !(PASSED_THROUGH as readonly string[]).includes(key)) {
      problems.push(`unknown setting "security.${key}"`);
    }
  }
  const options: ProjectSecuritySettings['options'] = {};
  for (const key of PASSED_THROUGH) {
    if (file[key] !== undefined) (options as Record<string, unknown>)[key] = file[key];
  }
  if (env.TOKEN_ISSUER) options.issuer = env.TOKEN_ISSUER;
  if (env.TOKEN_AUDIENCE) options.audience = env.TOKEN_AUDIENCE;
  if (env.TOKEN_LIFETIME_SECONDS !== undefined) {
    options.tokenLifetimeSeconds = integer(
      'security.tokenLifetimeSeconds (TOKEN_LIFETIME_SECONDS)',
      env.TOKEN_LIFETIME_SECONDS,
      problems,
    );
  }
  if (env.ADDRESS_BINDING !== undefined) {
    const enabled = onOff('security.addressBinding (ADDRESS_BINDING)', env.ADDRESS_BINDING, problems);
    options.addressBinding = { blockSeconds: 900, ...options.addressBinding, enabled };
  }
  const settings: ProjectSecuritySettings = {
    enabled: onOff('security.enabled (SECURITY)', env.SECURITY ?? file.enabled ?? true, problems),
    options,
    stateDir: path.resolve(
      projectDir,
      text(
        'security.stateDir (SECURITY_STATE_DIR)',
        env.SECURITY_STATE_DIR ?? file.stateDir ?? 'data/security',
        problems,
      ),
    ),
    auditLog: auditTarget(env.AUDIT_LOG ?? file.auditLog ?? 'logs/audit.log', projectDir, problems),
    transport: readTransport(file.transport, env, projectDir, problems),
    tokenStore: readTokenStore(file.tokenStore, env, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

function readTransport(
  section: unknown,
  env: NodeJS.ProcessEnv,
  projectDir: string,
  problems: string[],
): TransportConfig {
  const file = asObject(section, 'security.transport', problems);
  for (const key of Object.keys(file)) {
    if (!TRANSPORT_KEYS.has(key)) problems.push(`unknown setting "security.transport.${key}"`);
  }
  const mode = env.TRANSPORT ?? file.mode ?? 'http';
  if (mode !== 'http' && mode !== 'https') {
    problems.push(`security.transport.mode (TRANSPORT) must be http or https, got ${JSON.stringify(mode)}`);
  }
  const transport: TransportConfig = {
    mode: mode === 'https' ? 'https' : 'http',
    hsts: readHsts(file.hsts, env, problems),
    trustProxy: readTrustProxy(env.TRUST_PROXY ?? file.trustProxy ?? false, problems),
  };
  const tls = { ...tlsFromFile(file.tls, projectDir, problems), ...tlsFromEnv(env) };
  if (tls.keyFile) tls.keyFile = path.resolve(projectDir, tls.keyFile);
  if (tls.certFile) tls.certFile = path.resolve(projectDir, tls.certFile);
  transport.tls = tls;
  const redirect = env.REDIRECT_PORT ?? file.redirectPort;
  if (redirect !== undefined) {
    transport.redirectPort = integer('security.transport.redirectPort (REDIRECT_PORT)', redirect, problems);
  }
  const publicHost = env.PUBLIC_HOST ?? file.publicHost;
  if (publicHost !== undefined) {
    transport.publicHost = text('security.transport.publicHost (PUBLIC_HOST)', publicHost, problems);
  }
  return transport;
}

function tlsFromFile(value: unknown, projectDir: string, problems: string[]): TlsSource {
  const file = asObject(value, 'security.transport.tls', problems);
  const source: TlsSource = {};
  if (file.keyFile !== undefined)
    source.keyFile = path.resolve(projectDir, text('security.transport.tls.keyFile', file.keyFile, problems));
  if (file.certFile !== undefined)
    source.certFile = path.resolve(
      projectDir,
      text('security.transport.tls.certFile', file.certFile, problems),
    );
  return source;
}

function readHsts(value: unknown, env: NodeJS.ProcessEnv, problems: string[]): TransportConfig['hsts'] {
  const file = asObject(value, 'security.transport.hsts', problems);
  const hsts = { ...DEFAULT_HSTS };
  const maxAge = env.HSTS_MAX_AGE ?? file.maxAgeSeconds;
  if (maxAge !== undefined)
    hsts.maxAgeSeconds = integer('security.transport.hsts.maxAgeSeconds (HSTS_MAX_AGE)', maxAge, problems);
  if (file.includeSubDomains !== undefined)
    hsts.includeSubDomains = onOff(
      'security.transport.hsts.includeSubDomains',
      file.includeSubDomains,
      problems,
    );
  if (file.preload !== undefined)
    hsts.preload = onOff('security.transport.hsts.preload', file.preload, problems);
  return hsts;
}

/** Express's `trust proxy`: false, a hop count, or addresses and subnets (never a blanket `true` by accident). */
function readTrustProxy(value: unknown, problems: string[]): TransportConfig['trustProxy'] {
  if (value === false || value === 'false' || value === '') return false;
  if (value === true || value === 'true') return true;
  if (typeof value === 'number' || (typeof value === 'string' && /^[0-9]+$/.test(value)))
    return Number(value);
  const list = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  if (
    Array.isArray(list) &&
    list.length > 0 &&
    list.every((item) => typeof item === 'string' && /^[A-Za-z0-9.:/]+$/.test(item))
  ) {
    return list as string[];
  }
  problems.push(
    `security.transport.trustProxy (TRUST_PROXY) must be false, a hop count, or proxy addresses such as "loopback,10.0.0.0/8", got ${JSON.stringify(value)}`,
  );
  return false;
}

function auditTarget(value: unknown, projectDir: string, problems: string[]): string {
  const target = text('security.auditLog (AUDIT_LOG)', value, problems);
  return target === 'stderr' ? target : path.resolve(projectDir, target);
}

function asObject(value: unknown, name: string, problems: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  problems.push(`${name} must be an object`);
  return {};
}

function onOff(name: string, value: unknown, problems: string[]): boolean {
  if (value === true || value === 'true' || value === 'on') return true;
  if (value === false || value === 'false' || value === 'off') return false;
  problems.push(`${name} must be on or off (true or false), got ${JSON.stringify(value)}`);
  return true;
}

function integer(name: string, value: unknown, problems: string[]): number {
  const number = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    problems.push(`${name} must be a whole number, got ${JSON.stringify(value)}`);
    return 0;
  }
  return number;
}

function text(name: string, value: unknown, problems: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} must be a non-empty string`);
    return '';
  }
  return value;
}
