import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { SecurityConfigError } from './errors';

/**
 * Transport security of a generated server: TLS 1.2+ from configured key and certificate, HSTS on
 * secure responses only, a plain-HTTP listener that only redirects, trust-proxy handling, helmet's
 * headers and no `X-Powered-By`.
 */
export interface TlsSource {
  keyFile?: string;
  certFile?: string;
  keyPem?: string;
  certPem?: string;
}

export interface HstsConfig {
  maxAgeSeconds: number;
  includeSubDomains: boolean;
  preload: boolean;
}

export interface TransportConfig {
  mode: 'https' | 'http';
  tls?: TlsSource;
  hsts: HstsConfig;
  /** Express's `trust proxy` setting: false, a hop count, or addresses/subnets ('loopback', '10.0.0.0/8'). */
  trustProxy: boolean | number | string | string[];
  /** Port of an optional plain-HTTP listener that only answers 301 to the HTTPS URL. */
  redirectPort?: number;
  /** Host name used in redirects; without it the request's Host header (its name only) is used. */
  publicHost?: string;
}

export const DEFAULT_HSTS: HstsConfig = {
  maxAgeSeconds: 31_536_000,
  includeSubDomains: true,
  preload: false,
};

/** TLS settings from the environment: PEM text or file paths. */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): TlsSource {
  const source: TlsSource = {};
  if (env.TLS_KEY_PEM) source.keyPem = env.TLS_KEY_PEM;
  if (env.TLS_CERT_PEM) source.certPem = env.TLS_CERT_PEM;
  if (env.TLS_KEY_FILE) source.keyFile = env.TLS_KEY_FILE;
  if (env.TLS_CERT_FILE) source.certFile = env.TLS_CERT_FILE;
  return source;
}

export interface TlsCredentials {
  key: string;
  cert: string;
}

/**
 * Reads and checks the key and certificate before the server starts: each missing, unreadable,
 * unparsable or mismatched piece is a SecurityConfigError naming the setting.
 */
export function loadTlsCredentials(source: TlsSource | undefined): TlsCredentials {
  const key = readPem('tls.key', source?.keyPem, source?.keyFile, 'TLS_KEY_PEM or TLS_KEY_FILE');
  const cert = readPem('tls.cert', source?.certPem, source?.certFile, 'TLS_CERT_PEM or TLS_CERT_FILE');
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    throw new SecurityConfigError('tls.key', 'is not a readable private key (PEM)', { cause });
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (cause) {
    throw new SecurityConfigError('tls.cert', 'is not a readable X.509 certificate (PEM)', { cause });
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new SecurityConfigError('tls', 'the private key does not belong to the certificate');
  }
  return { key, cert };
}

function readPem(setting: string, pem: string | undefined, file: string | undefined, hint: string): string {
  if (pem) return pem;
  if (!file) throw new SecurityConfigError(setting, `https mode needs it: set ${hint}`);
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new SecurityConfigError(setting, `cannot read ${file} (${code})`, { cause });
  }
}

/** An HTTPS server that speaks TLS 1.2 or higher only. */
export function createHttpsServer(app: Express, credentials: TlsCredentials): https.Server {
  return https.createServer({ ...credentials, minVersion: 'TLSv1.2' }, app);
}

/** Express settings and headers common to both modes; call before mounting routes. */
export function applyTransport(app: Express, config: TransportConfig): void {
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders());
  app.use(hsts(config.hsts));
}

/**
 * helmet's headers for an API that serves JSON only: nothing may be loaded or framed. HSTS is left to
 * `hsts`, which knows when the request came over TLS.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
}

export function hstsValue(config: HstsConfig): string {
  const parts = [`max-age=${config.maxAgeSeconds}`];
  if (config.includeSubDomains) parts.push('includeSubDomains');
  if (config.preload) parts.push('preload');
  return parts.join('; ');
}

/**
 * RFC 6797 §7.2: HSTS only on secure transport. `req.secure` is true for a TLS socket, or for
 * `X-Forwarded-Proto: https` when the request came through a proxy that `trust proxy` believes.
 */
export function hsts(config: HstsConfig): RequestHandler {
  const value = hstsValue(config);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.secure) res.setHeader('Strict-Transport-Security', value);
    next();
  };
}

const HOST_NAME = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/;

/**
 * The optional plain-HTTP listener: every request gets 301 to the same path on HTTPS (RFC 6797
 * §7.2 asks for a redirect rather than HSTS over plain HTTP), and nothing else is served on it.
 */
export function createRedirectServer(httpsPort: number, publicHost?: string): http.Server {
  return http.createServer((req, res) => {
    const hostHeader = req.headers.host ?? '';
    const match = HOST_NAME.exec(hostHeader);
    const host = publicHost ?? match?.[1];
    if (!host) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad Request');
      return;
    }
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
    res.writeHead(301, { Location: `https://${host}${port}${path}`, 'Content-Length': '0' }).end();
  });
}

/** Start-up warnings for the operator; the server logs each. */
export function transportWarnings(config: TransportConfig): string[] {
  const warnings: string[] = [];
  const trusted = config.trustProxy !== false && config.trustProxy !== 0;
  if (config.mode === 'http' && !trusted) {
    warnings.push(
      'serving plain HTTP without a trusted proxy: tokens and health data cross the network unencrypted; use https mode or set trustProxy to the TLS-terminating load balancer',
    );
  }
  if (config.mode === 'http' && config.trustProxy === true) {
    warnings.push(
      'trustProxy is true: every client can forge X-Forwarded-For and X-Forwarded-Proto; name the proxy addresses instead (address binding relies on them)',
    );
  }
  return warnings;
}
