import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addClient, parseArguments } from '../../src/runtime/app/add-client';
import { resolveSecurityConfig } from '../../src/runtime/security/config';
import { hashSecret } from '../../src/runtime/security/secrets';
import { backendKey } from './fixtures/security/backend-client';

/** `npm run client:add` for SMART Backend Services clients (`--jwks <file>`, `--jwks-url <url>`). */
describe('client:add with public keys', () => {
  let dir: string;
  let configFile: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-add-client-'));
    configFile = path.join(dir, 'fhirgen.config.json');
    writeFileSync(configFile, '{"security": {}}\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const clients = () => JSON.parse(readFileSync(configFile, 'utf8')).security.clients;

  it('parses --jwks and --jwks-url among the scopes', () => {
    assert.deepEqual(parseArguments(['b', 'system/*.rs', '--jwks', 'k.json', 'system/Patient.c']), {
      clientId: 'b',
      scopes: ['system/*.rs', 'system/Patient.c'],
      jwksFile: 'k.json',
    });
    assert.throws(() => parseArguments(['b', 'system/*.rs', '--jwks']), /--jwks needs a value/);
    assert.throws(() => parseArguments(['b', '--jwks', 'a', '--jwks-url', 'https://x']), /not both/);
  });

  it('registers the public keys of a key set file, or one JWK, without a secret', async () => {
    const rsa = backendKey('RS384');
    const ec = backendKey('ES384');
    writeFileSync(path.join(dir, 'set.json'), JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
    writeFileSync(path.join(dir, 'one.json'), JSON.stringify(ec.jwk));
    const secret = await addClient(configFile, {
      clientId: 'backend',
      scopes: ['system/*.rs'],
      jwksFile: path.join(dir, 'set.json'),
    });
    assert.equal(secret, undefined);
    await addClient(configFile, {
      clientId: 'one',
      scopes: ['system/*.rs'],
      jwksFile: path.join(dir, 'one.json'),
    });
    const [backend, one] = clients();
    assert.deepEqual(backend, {
      clientId: 'backend',
      scopes: ['system/*.rs'],
      jwks: { keys: [rsa.jwk, ec.jwk] },
    });
    assert.deepEqual(one.jwks, { keys: [ec.jwk] });
    // What it wrote is what the server accepts at start.
    resolveSecurityConfig({ issuer: 'https://x.test', clients: clients() });
  });

  it('refuses a private key, an unusable key and a key set URL that is neither https nor loopback', async () => {
    const rsa = backendKey('RS384');
    writeFileSync(path.join(dir, 'private.json'), JSON.stringify(rsa.privateKey.export({ format: 'jwk' })));
    writeFileSync(path.join(dir, 'p256.json'), JSON.stringify({ ...backendKey('ES384').jwk, crv: 'P-256' }));
    const request = { clientId: 'b', scopes: ['system/*.rs'] };
    await assert.rejects(
      addClient(configFile, { ...request, jwksFile: path.join(dir, 'private.json') }),
      /public keys only/,
    );
    await assert.rejects(
      addClient(configFile, { ...request, jwksFile: path.join(dir, 'p256.json') }),
      /P-384/,
    );
    const { publicKey: small } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(path.join(dir, 'rsa1024.json'), JSON.stringify(small.export({ format: 'jwk' })));
    await assert.rejects(
      addClient(configFile, { ...request, jwksFile: path.join(dir, 'rsa1024.json') }),
      /at least 2048 bits/,
    );
    await assert.rejects(
      addClient(configFile, { ...request, jwksUrl: 'http://keys.example.com/jwks' }),
      /https/,
    );
    assert.equal(
      await addClient(configFile, { ...request, jwksUrl: 'https://keys.example.com/jwks' }),
      undefined,
    );
    assert.deepEqual(clients(), [{ ...request, jwksUrl: 'https://keys.example.com/jwks' }]);
  });

  it('refuses at start a client with both a secret and keys', async () => {
    const secretHash = await hashSecret('s', { N: 1024, r: 8, p: 1 });
    assert.throws(
      () =>
        resolveSecurityConfig({
          issuer: 'https://x.test',
          clients: [{ clientId: 'b', scopes: [], secretHash, jwksUrl: 'https://k.test/jwks' }],
        }),
      /one of secretHash, jwks and jwksUrl/,
    );
  });
});
