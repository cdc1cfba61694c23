/**
 * `npm run client:add -- <client-id> <scope> ... [--patient <id>]`: registers a confidential client
 * in `fhirgen.config.json` without fhirgen itself. A random secret is made, printed once, and only
 * its scrypt hash is written (SECURITY.md "Tokens": secrets are stored hashed). Restart the server
 * to load it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClientConfig } from '../security/config';
import { parseScope } from '../security/scopes';
import { hashSecret } from '../security/secrets';
import { CONFIG_FILE } from './run';

export interface NewClientRequest {
  clientId: string;
  scopes: string[];
  patient?: string;
}

/** Adds the client to the config file and returns its secret (shown once, stored nowhere). */
export async function addClient(configFile: string, request: NewClientRequest): Promise<string> {
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
  const secret = randomBytes(32).toString('base64url');
  const client: ClientConfig = {
    clientId: request.clientId,
    secretHash: await hashSecret(secret),
    scopes: request.scopes,
  };
  if (request.patient !== undefined) client.patient = request.patient;
  clients.push(client);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return secret;
}

export function parseArguments(args: string[]): NewClientRequest {
  const [clientId, ...rest] = args;
  if (clientId === undefined)
    throw new Error('usage: npm run client:add -- <client-id> <scope> ... [--patient <id>]');
  const request: NewClientRequest = { clientId, scopes: [] };
  for (let index = 0; index < rest.length; index += 1) {
    const value = rest[index] as string;
    if (value === '--patient') {
      index += 1;
      const patient = rest[index];
      if (patient === undefined) throw new Error('--patient needs a Patient id');
      request.patient = patient;
    } else request.scopes.push(...value.split(' ').filter(Boolean));
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
        `client_id:     ${request.clientId}\nclient_secret: ${secret}\nOnly its hash is stored in ${CONFIG_FILE}; this secret is shown this once. Restart the server to use it.\n`,
      );
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
