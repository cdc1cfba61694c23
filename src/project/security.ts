/**
 * The security part of a new project's config: one confidential client whose secret is made here,
 * shown to the user once, and stored only as its scrypt hash (the same format the runtime's
 * `hashSecret` writes), and, with `--https`, a self-signed development certificate pair.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { DEFAULT_SCRYPT_COST } from '../runtime/security/secrets';

export const DEFAULT_CLIENT_ID = 'admin';
export const DEFAULT_CLIENT_SCOPES = ['system/*.*'];
export const DEV_KEY_FILE = 'certs/dev-key.pem';
export const DEV_CERT_FILE = 'certs/dev-cert.pem';

export interface NewClient {
  clientId: string;
  /** Shown once; never written anywhere. */
  secret: string;
  secretHash: string;
}

export function newClient(clientId = DEFAULT_CLIENT_ID): NewClient {
  const secret = randomBytes(32).toString('base64url');
  return { clientId, secret, secretHash: hashSecretSync(secret) };
}

/** `scrypt$N$r$p$salt$hash`, as `hashSecret` in `src/runtime/security/secrets.ts` (RFC 7914). */
export function hashSecretSync(secret: string): string {
  const { N, r, p } = DEFAULT_SCRYPT_COST;
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, 32, { N, r, p, maxmem: 256 * N * r });
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** The `security` section of a new `fhirgen.config.json`. */
export function securitySection(https: boolean, client: Omit<NewClient, 'secret'> | undefined) {
  return {
    enabled: true,
    tokenLifetimeSeconds: 600,
    stateDir: 'data/security',
    auditLog: 'logs/audit.log',
    addressBinding: { enabled: true, blockSeconds: 900 },
    clients: client
      ? [{ clientId: client.clientId, secretHash: client.secretHash, scopes: DEFAULT_CLIENT_SCOPES }]
      : [],
    users: [],
    transport: https
      ? {
          mode: 'https',
          tls: { keyFile: DEV_KEY_FILE, certFile: DEV_CERT_FILE },
          hsts: { maxAgeSeconds: 31_536_000, includeSubDomains: true, preload: false },
          trustProxy: false,
        }
      : { mode: 'http', trustProxy: false },
  };
}
