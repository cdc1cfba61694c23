/**
 * `npm run client:add -- <client-id> <scope> ... [--patient <id>] [--jwks <file> | --jwks-url <url>]`:
 * registers a client in `fhirgen.config.json` without fhirgen itself. By default a random secret is
 * made, printed once, and only its scrypt hash is written (SECURITY.md "Tokens": secrets are stored
 * hashed). With `--jwks` (a file holding the client's public key set, or one public JWK) or
 * `--jwks-url`, the client is a SMART Backend Services client that authenticates with signed
 * assertions (RFC 7523) and has no secret. Restart the server to load it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ClientConfig, clientKeysProblem } from '../security/config';
import { loadJose } from '../security/jose';
import { parseScope } from '../security/scopes';
import { hashSecret } from '../security/secrets';
import { CONFIG_FILE } from './run';

export interface NewClientRequest {
  clientId: string;
  scopes: string[];
  patient?: string;
  /** A file holding the client's public keys (`{"keys": [...]}` or one JWK). */
  jwksFile?: string;
  jwksUrl?: string;
}

const USAGE =
  'usage: npm run client:add -- <client-id> <scope> ... [--patient <id>] [--jwks <file> | --jwks-url <url>]';

/**
 * Adds the client to the config file and returns its secret (shown once, stored nowhere), or
 * undefined for a client registered with keys.
 */
export async function addClient(configFile: string, request: NewClientRequest): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._~-]{1,64}$/.test(request.clientId)) {
    throw new Error(`client id "${request.clientId}" may hold letters, digits and . _ ~ - only`);
  }
  const bad = request.scopes.filter((scope) => parseScope(scope) === undefined);
  if (request.scopes.length === 0 || bad.length > 0) {
    throw new Error(
      `give SMART scopes such as system/*.rs or patient/Observation.read; not scopes: ${bad.join(' ')}`,
    );
  }
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { security?: { clients?: ClientConfig[] } };
  const security = config.security ?? {};
  const clients = security.clients ?? [];
  security.clients = clients;
  config.security = security;
  if (clients.some((client) => client.clientId === request.clientId)) {
    throw new Error(`client ${request.clientId} already exists in ${configFile}`);
  }
  const client: ClientConfig = { clientId: request.clientId, scopes: request.scopes };
  let secret: string | undefined;
  if (request.jwksFile !== undefined) client.jwks = await readKeySet(request.jwksFile);
  else if (request.jwksUrl !== undefined) client.jwksUrl = request.jwksUrl;
  else {
    secret = randomBytes(32).toString('base64url');
    client.secretHash = await hashSecret(secret);
  }
  const problem = clientKeysProblem(client);
  if (problem) throw new Error(problem);
  if (request.patient !== undefined) client.patient = request.patient;
  clients.push(client);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return secret;
}

/**
 * The public keys in a file, each imported by jose to prove it is a usable key; a private key is
 * refused (the server needs only the public half, and the config file is no place for the other).
 */
async function readKeySet(file: string): Promise<NonNullable<ClientConfig['jwks']>> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: unknown };
  const keys = (Array.isArray(parsed.keys) ? parsed.keys : [parsed]) as Record<string, unknown>[];
  const jwks = { keys } as NonNullable<ClientConfig['jwks']>;
  const problem = clientKeysProblem({ jwks });
  if (problem) throw new Error(`${file}: ${problem}`);
  const { importJWK } = await loadJose();
  for (const key of keys) {
    const alg = key.kty === 'RSA' ? 'RS384' : 'ES384';
    if (key.alg !== undefined && key.alg !== alg) throw new Error(`${file}: key alg must be RS384 or ES384`);
    await importJWK(key, alg);
  }
  return jwks;
}

const OPTIONS = new Set(['--patient', '--jwks', '--jwks-url']);

export function parseArguments(args: string[]): NewClientRequest {
  const [clientId, ...rest] = args;
  if (clientId === undefined || clientId.startsWith('--')) throw new Error(USAGE);
  const request: NewClientRequest = { clientId, scopes: [] };
  for (let index = 0; index < rest.length; index += 1) {
    const value = rest[index] as string;
    if (!OPTIONS.has(value)) {
      request.scopes.push(...value.split(' ').filter(Boolean));
      continue;
    }
    index += 1;
    const argument = rest[index];
    if (argument === undefined) throw new Error(`${value} needs a value; ${USAGE}`);
    if (value === '--patient') request.patient = argument;
    else if (value === '--jwks') request.jwksFile = argument;
    else request.jwksUrl = argument;
  }
  if (request.jwksFile !== undefined && request.jwksUrl !== undefined) {
    throw new Error('give --jwks or --jwks-url, not both');
  }
  return request;
}

if (require.main === module) {
  const file = path.resolve(process.cwd(), CONFIG_FILE);
  const request = (() => {
    try {
      return parseArguments(process.argv.slice(2));
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(2);
    }
  })();
  addClient(file, request).then(
    (secret) => {
      process.stdout.write(
        secret === undefined
          ? `client_id:     ${request.clientId}\nauthentication: private_key_jwt (RS384 or ES384 client assertions, keys in ${CONFIG_FILE}). Restart the server to use it.\n`
          : `client_id:     ${request.clientId}\nclient_secret: ${secret}\nOnly its hash is stored in ${CONFIG_FILE}; this secret is shown this once. Restart the server to use it.\n`,
      );
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
