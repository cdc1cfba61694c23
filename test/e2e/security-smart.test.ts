/**
 * Issue 15, end to end against a generated R4 project, once per token store backend: the generated
 * `admin` client (`system/*.*`) gets each narrower scope it asks for and is held to it; SMART
 * Backend Services clients added with `npm run client:add -- ... --jwks <file>` or `--jwks-url`
 * (a loopback key server started here) authenticate with signed assertions, every bad assertion is
 * `400 invalid_client` with an audit event, and a jti used on one instance is refused by another;
 * the server's own tokens are accepted until their `exp` and not one second longer.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { fingerprintOf } from '../../src/runtime/security/fingerprint';
import {
  type AssertionEdits,
  assertionForm,
  type BackendKey,
  backendKey,
  clientAssertion,
} from '../runtime/fixtures/security/backend-client';
import {
  hmacSigned,
  privateKeyFromJwk,
  signedWith,
  split,
  unsigned,
} from '../runtime/fixtures/security/forge';
import { installedProject, type StartedServer, startServer } from '../support/project';
import { type StartedBackend, TOKEN_STORE_BACKENDS } from './security-backends';
import { clientSecretOf, clientToken, send } from './security-support';

const run = promisify(execFile);
const ISSUER = 'https://smart-server.test';
const TOKEN_URL = `${ISSUER}/auth/token`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Prepared {
  dir: string;
  adminSecret: string;
  rsa: BackendKey;
  ec: BackendKey;
  remote: BackendKey;
  jwksServer: Server;
}

let prepared: Promise<Prepared> | undefined;

/** One project for both backends: generated, installed, its backend clients added by its own script. */
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const project = await installedProject(['--name', 'smart-server', '--fhir', 'r4']);
    const dir = project.dir;
    const [rsa, ec, remote] = [backendKey('RS384'), backendKey('ES384'), backendKey('ES384')];
    const jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [backendKey('RS384').jwk, remote.jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    const keyFile = path.join(dir, 'backend-public.json');
    writeFileSync(keyFile, JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
    const add = (args: string[]) =>
      run('npm', ['run', '--silent', 'client:add', '--', ...args], { cwd: dir });
    const { stdout } = await add(['keyed', 'system/*.read', '--jwks', keyFile]);
    assert.match(stdout, /private_key_jwt/);
    assert.doesNotMatch(stdout, /client_secret/);
    await add(['remote-backend', 'system/Observation.rs', '--jwks-url', jwksUrl]);
    // The project README's own example registers `backend` with a key made by openssl.
    await run('bash', ['-euc', readmeBlocks(dir, '## Backend services')[0] as string], { cwd: dir });
    const configFile = path.join(dir, 'fhirgen.config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.security.tokenRateLimit = { limit: 500, windowSeconds: 60 };
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    return { dir, adminSecret: clientSecretOf(project.output), rsa, ec, remote, jwksServer };
  })();
  return prepared;
}

describe('SMART scopes, Backend Services and exact token lifetimes, end to end (issue 15)', function () {
  this.timeout(900_000);
  after(async () => {
    const server = (await prepared?.catch(() => undefined))?.jwksServer;
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  for (const backend of TOKEN_STORE_BACKENDS) {
    describe(backend.name, () => {
      let p: Prepared;
      let store: StartedBackend;
      let server: StartedServer;
      let base: string;

      before(async () => {
        p = await prepare();
        store = await backend.start();
        server = await startServer(p.dir, { TRANSPORT: 'http', TOKEN_ISSUER: ISSUER, ...store.env });
        base = server.url;
        const admin = await clientToken(base, 'admin', p.adminSecret);
        const put = await send(`${base}/r4/Patient/p1`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/fhir+json' },
          body: JSON.stringify({ resourceType: 'Patient', id: 'p1' }),
        });
        assert.ok([200, 201].includes(put.status), put.text);
      });
      after(async () => {
        await server?.stop();
        await store?.stop();
      });

      const get = (pathname: string, token: string, localAddress?: string) =>
        send(`${base}${pathname}`, {
          headers: { authorization: `Bearer ${token}` },
          ...(localAddress ? { localAddress } : {}),
        });
      const post = (pathname: string, body: string, at = base) =>
        send(`${at}${pathname}`, { method: 'POST', headers: FORM, body });
      const assertion = (key: BackendKey, clientId = 'keyed', edits: AssertionEdits = {}) =>
        clientAssertion(key, clientId, TOKEN_URL, edits);

      async function backendToken(key: BackendKey, clientId = 'keyed', scope?: string) {
        const reply = await post(
          '/auth/token',
          assertionForm(await assertion(key, clientId), scope ? { scope } : {}),
        );
        assert.equal(reply.status, 200, reply.text);
        return reply.json() as { access_token: string; scope: string };
      }

      describe('the admin client (system/*.*) asking for narrower scopes', () => {
        it('gets each narrower scope, named in the response, the claim and introspection', async () => {
          for (const scope of [
            'system/Patient.read',
            'system/Patient.rs',
            'system/Observation.read',
            'system/*.cruds',
            'system/Patient.s',
          ]) {
            const token = await clientToken(base, 'admin', p.adminSecret, { scope });
            assert.equal(split(token).payload.scope, scope);
            const introspection = await send(`${base}/auth/introspect`, {
              method: 'POST',
              headers: { ...FORM, authorization: basicAdmin(p.adminSecret) },
              body: `token=${token}`,
            });
            assert.equal(introspection.json().scope, scope);
          }
        });

        it('is held to the narrower scope: system/Patient.read reads Patients, nothing else', async () => {
          const read = await clientToken(base, 'admin', p.adminSecret, { scope: 'system/Patient.read' });
          assert.equal((await get('/r4/Patient/p1', read)).status, 200);
          assert.equal((await get('/r4/Patient?_id=p1', read)).status, 200);
          assert.equal((await get('/r4/Observation', read)).status, 403);
          const create = await send(`${base}/r4/Patient`, {
            method: 'POST',
            headers: { authorization: `Bearer ${read}`, 'content-type': 'application/fhir+json' },
            body: JSON.stringify({ resourceType: 'Patient' }),
          });
          assert.equal(create.status, 403);
          const search = await clientToken(base, 'admin', p.adminSecret, { scope: 'system/Patient.s' });
          assert.equal((await get('/r4/Patient?_id=p1', search)).status, 200);
          assert.equal((await get('/r4/Patient/p1', search)).status, 403);
        });

        it('gets the grantable part of a mixed request; 400 invalid_scope only when nothing is', async () => {
          const mixed = await send(`${base}/auth/token`, {
            method: 'POST',
            headers: { ...FORM, authorization: basicAdmin(p.adminSecret) },
            body: `grant_type=client_credentials&scope=${encodeURIComponent('system/Patient.read user/Patient.read openid launch/patient')}`,
          });
          assert.equal(mixed.status, 200, mixed.text);
          assert.equal(mixed.json().scope, 'system/Patient.read');
          const none = await send(`${base}/auth/token`, {
            method: 'POST',
            headers: { ...FORM, authorization: basicAdmin(p.adminSecret) },
            body: `grant_type=client_credentials&scope=${encodeURIComponent('user/Patient.read openid')}`,
          });
          assert.equal(none.status, 400);
          assert.equal(none.json().error, 'invalid_scope');
        });
      });

      describe('SMART Backend Services (private_key_jwt)', () => {
        /** 400 invalid_client, and a `client_auth_failed` audit event with the reason in logs/audit.log. */
        async function assertRefused(signed: string, reason: string) {
          const before = auditReasons(p.dir).filter((item) => item === reason).length;
          const reply = await post('/auth/token', assertionForm(signed));
          assert.equal(reply.status, 400, reply.text);
          assert.equal(reply.json().error, 'invalid_client');
          await eventually(
            () => auditReasons(p.dir).filter((item) => item === reason).length === before + 1,
            reason,
          );
        }

        it('issues tokens for RS384 and ES384 assertions (inline keys) and a key set URL', async () => {
          const rs = await backendToken(p.rsa);
          assert.equal(rs.scope, 'system/*.read');
          assert.equal((await get('/r4/Patient/p1', rs.access_token)).status, 200);
          const es = await backendToken(p.ec, 'keyed', 'system/Observation.rs');
          assert.equal(es.scope, 'system/Observation.rs');
          assert.equal((await get('/r4/Patient/p1', es.access_token)).status, 403);
          const remote = await backendToken(p.remote, 'remote-backend');
          assert.equal(remote.scope, 'system/Observation.rs');
          assert.equal((await get('/r4/Observation', remote.access_token)).status, 200);
        });

        it('advertises private_key_jwt in /.well-known/smart-configuration', async () => {
          const config = (await send(`${base}/.well-known/smart-configuration`)).json();
          assert.equal(config.token_endpoint, TOKEN_URL);
          assert.ok(config.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
          assert.ok(config.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
          assert.deepEqual(config.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
          assert.ok(config.capabilities.includes('client-confidential-asymmetric'));
          assert.ok(config.scopes_supported.includes('system/*.read'));
        });

        it('refuses a wrong signature and an unregistered key', async () => {
          await assertRefused(await assertion(backendKey('RS384', p.rsa.kid)), 'signature invalid');
          await assertRefused(await assertion(backendKey('ES384')), 'no registered key matches');
        });

        it('refuses RS256, none, and HS256 with the public key as secret', async () => {
          await assertRefused(await assertion(p.rsa, 'keyed', { alg: 'RS256' }), 'algorithm not allowed');
          const { payload } = split(await assertion(p.rsa));
          await assertRefused(unsigned({ alg: 'none', typ: 'JWT' }, payload), 'algorithm not allowed');
          const pem = createPublicKey(p.rsa.privateKey).export({ type: 'spki', format: 'pem' });
          const forged = hmacSigned({ alg: 'HS256', kid: p.rsa.kid }, { ...payload, jti: randomUUID() }, pem);
          await assertRefused(forged, 'algorithm not allowed');
        });

        it('refuses a wrong aud, iss or sub', async () => {
          await assertRefused(
            await assertion(p.rsa, 'keyed', { claims: { aud: `${ISSUER}/r4` } }),
            'claim aud invalid',
          );
          await assertRefused(
            await assertion(p.rsa, 'keyed', { claims: { sub: 'admin' } }),
            'claim sub invalid',
          );
          await assertRefused(await assertion(p.rsa, 'admin'), 'unknown client');
        });

        it('refuses an expired assertion and one whose exp is more than 5 minutes ahead', async () => {
          const now = Math.floor(Date.now() / 1000);
          await assertRefused(
            await assertion(p.rsa, 'keyed', { claims: { exp: now - 120 } }),
            'assertion expired',
          );
          await assertRefused(
            await assertion(p.rsa, 'keyed', { claims: { exp: now + 900 } }),
            'exp more than 5 minutes ahead',
          );
        });

        it('refuses a missing jti, and a replayed one, also on another instance sharing the store', async () => {
          await assertRefused(await assertion(p.rsa, 'keyed', { omit: ['jti'] }), 'claim jti invalid');
          const signed = await assertion(p.rsa);
          assert.equal((await post('/auth/token', assertionForm(signed))).status, 200);
          await assertRefused(signed, 'jti replayed');
          const second = await startServer(p.dir, { TRANSPORT: 'http', TOKEN_ISSUER: ISSUER, ...store.env });
          try {
            const other = await assertion(p.ec);
            assert.equal((await post('/auth/token', assertionForm(other), second.url)).status, 200);
            const replay = await post('/auth/token', assertionForm(other));
            assert.equal(replay.status, 400, replay.text);
            assert.equal(replay.json().error, 'invalid_client');
          } finally {
            await second.stop();
          }
        });

        it('holds its tokens to supersession, revocation, introspection and address binding', async () => {
          const first = await backendToken(p.rsa);
          const second = await backendToken(p.rsa);
          assert.equal((await get('/r4/Patient/p1', first.access_token)).status, 401);
          const asserted = async () => assertionForm(await assertion(p.rsa));
          const active = await post('/auth/introspect', `${await asserted()}&token=${second.access_token}`);
          assert.equal(active.json().client_id, 'keyed');
          assert.equal(
            (await post('/auth/revoke', `${await asserted()}&token=${second.access_token}`)).status,
            200,
          );
          assert.equal((await get('/r4/Patient/p1', second.access_token)).status, 401);
          const inactive = await post('/auth/introspect', `${await asserted()}&token=${second.access_token}`);
          assert.equal(inactive.text, '{"active":false}');
          const third = await backendToken(p.rsa);
          assert.equal((await get('/r4/Patient/p1', third.access_token, '127.0.0.2')).status, 401);
          assert.equal((await get('/r4/Patient/p1', third.access_token)).status, 401);
        });
      });

      describe("the project README's Backend Services example", () => {
        it('gets a token with the README commands as written, and the token reads Patients', async () => {
          const request = `${readmeBlocks(p.dir, '## Backend services')[1]}\necho "$TOKEN"`;
          const { stdout } = await run('bash', ['-euc', request], {
            cwd: p.dir,
            env: { ...process.env, BASE: base, CURL: 'curl' },
          });
          const token = stdout.trim().split('\n').at(-1) as string;
          assert.equal(split(token).payload.client_id, 'backend');
          assert.equal(split(token).payload.scope, 'system/Patient.rs');
          assert.equal((await get('/r4/Patient/p1', token)).status, 200);
        });
      });

      describe('token lifetime exactly as issued', () => {
        it('accepts a 3-second token before its exp, refuses it and introspects it inactive after', async () => {
          const keyFile = JSON.parse(
            readFileSync(path.join(p.dir, 'data/security/signing-key.json'), 'utf8'),
          );
          const kid = (await send(`${base}/.well-known/jwks.json`)).json().keys[0].kid;
          const now = Math.floor(Date.now() / 1000);
          const claims = {
            iss: ISSUER,
            aud: ISSUER,
            sub: 'short-lived',
            client_id: 'short-lived',
            scope: 'system/*.*',
            jti: randomUUID(),
            iat: now,
            exp: now + 3,
            client_addr: '127.0.0.1',
          };
          const token = signedWith(
            privateKeyFromJwk(keyFile.privateJwk),
            { alg: 'EdDSA', typ: 'at+jwt', kid },
            claims,
          );
          const tokens = await store.openStore(p.dir);
          try {
            await tokens.recordIssued({
              jti: claims.jti,
              subject: claims.sub,
              clientId: claims.client_id,
              fingerprint: fingerprintOf(token),
              issuedAt: now,
              expiresAt: claims.exp,
            });
          } finally {
            await tokens.close();
          }
          assert.equal((await get('/r4/Patient/p1', token)).status, 200);
          // One second past exp: within the default 30 s clock skew, which no longer applies to our own tokens.
          await new Promise((resolve) => setTimeout(resolve, claims.exp * 1000 + 1000 - Date.now()));
          const refused = await get('/r4/Patient/p1', token);
          assert.equal(refused.status, 401);
          assert.match(String(refused.headers['www-authenticate']), /token expired/);
          const introspection = await send(`${base}/auth/introspect`, {
            method: 'POST',
            headers: { ...FORM, authorization: basicAdmin(p.adminSecret) },
            body: `token=${token}`,
          });
          assert.equal(introspection.status, 200);
          assert.equal(introspection.text, '{"active":false}');
        });
      });
    });
  }
});

/** The `sh` code blocks of the generated README's section that starts with `heading`. */
function readmeBlocks(dir: string, heading: string): string[] {
  const readme = readFileSync(path.join(dir, 'README.md'), 'utf8');
  const start = readme.indexOf(`${heading}`);
  assert.ok(start >= 0, `no "${heading}" in the project README`);
  const section = readme.slice(start, readme.indexOf('\n## ', start + heading.length));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

function basicAdmin(secret: string): string {
  return `Basic ${Buffer.from(`admin:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The reasons of the `client_auth_failed` events in the project's audit log, oldest first. */
function auditReasons(dir: string): string[] {
  const file = path.join(dir, 'logs/audit.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"client_auth_failed"'))
    .map((line) => (JSON.parse(line) as { reason?: string }).reason ?? '');
}

/** The audit log is written asynchronously: wait a little for an event to appear. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no audit event: ${what}`);
}
