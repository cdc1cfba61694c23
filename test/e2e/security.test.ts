/**
 * Security of a generated project, end to end (issue 7, SECURITY.md "What the tests prove"): an R4
 * project generated with `--https`, installed, its clients added with its own `npm run client:add`,
 * and started as `npm start` starts it. The token matrix (each case its own test, status,
 * WWW-Authenticate and OperationOutcome asserted), the RFC 7009/7662 endpoints, HTTPS with HSTS and
 * the redirect listener, and revocation surviving a SIGKILL. Fuzzing is in security-fuzz.test.ts.
 *
 * Tokens signed with the server's own key (expired, future nbf, wrong iss/aud/typ) are recorded in
 * the project's token store as the token service would record them, so that each is refused for the
 * reason its test is about, not for being unknown.
 *
 * The suite runs once per token store backend (`TOKEN_STORE_BACKENDS`: the embedded SQLite file and
 * a Redis server); HTTPS and start-up checks, which do not involve the token store, run with the
 * first only.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateDevCertificate } from '../../src/runtime/security/dev-cert';
import { fingerprintOf } from '../../src/runtime/security/fingerprint';
import {
  attackerKey,
  hmacSigned,
  malleateEncoding,
  privateKeyFromJwk,
  signedWith,
  split,
  unsigned,
  withPayload,
} from '../runtime/fixtures/security/forge';
import { installedProject, type StartedServer, startServer } from '../support/project';
import { type StartedBackend, TOKEN_STORE_BACKENDS, type TokenStoreBackend } from './security-backends';
import { basic, clientSecretOf, clientToken, type Received, SECURE_PROJECT, send } from './security-support';

const run = promisify(execFile);
const ISSUER = 'https://secure-server.test';
/** The matrix runs over plain HTTP (the project's https transport is tested on its own below). */
const TOKEN_LIMIT = 200;
const BASE_ENV = { TRANSPORT: 'http', TOKEN_ISSUER: ISSUER, LOG_LEVEL: 'warn' };

/** Clients a user adds with `npm run client:add`, and the secrets it printed once. */
const CLIENTS: Record<string, string[]> = {
  reader: ['system/Observation.read'],
  searcher: ['system/Observation.s', 'system/Observation.rs'],
  writer: ['system/Observation.cruds'],
  'p1-app': ['patient/Observation.rs', 'patient/Patient.rs', '--patient', 'p1'],
  durable: ['system/Patient.rs'],
  'durable-other': ['system/Patient.rs'],
};

/** Clients are added to the shared project once, whichever backend's suite runs first. */
let prepared: Promise<{ dir: string; secrets: Record<string, string> }> | undefined;

function prepareProject() {
  prepared ??= (async () => {
    const project = await installedProject(SECURE_PROJECT);
    const dir = project.dir;
    const secrets: Record<string, string> = { admin: clientSecretOf(project.output) };
    for (const [clientId, args] of Object.entries(CLIENTS)) {
      const { stdout } = await run('npm', ['run', '--silent', 'client:add', '--', clientId, ...args], {
        cwd: dir,
      });
      secrets[clientId] = clientSecretOf(stdout);
    }
    // The token endpoint allows 30 requests a minute per address by default; these tests ask more.
    const configFile = path.join(dir, 'fhirgen.config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    config.security.tokenRateLimit = { limit: TOKEN_LIMIT, windowSeconds: 60 };
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    return { dir, secrets };
  })();
  return prepared;
}

for (const [index, backend] of TOKEN_STORE_BACKENDS.entries()) securitySuite(backend, index === 0);

function securitySuite(backend: TokenStoreBackend, withTransport: boolean): void {
  describe(`generated project security, end to end (${backend.name})`, function () {
    this.timeout(900_000);
    let dir: string;
    let server: StartedServer;
    let base: string;
    let secrets: Record<string, string> = {};
    let tokenStore: StartedBackend;
    let HTTP_ENV: NodeJS.ProcessEnv;
    const token = (clientId: string, scope?: string, localAddress?: string) =>
      clientToken(base, clientId, secrets[clientId] as string, {
        ...(scope === undefined ? {} : { scope }),
        ...(localAddress === undefined ? {} : { localAddress }),
      });
    const get = (pathname: string, bearer?: string, localAddress?: string) =>
      send(`${base}${pathname}`, {
        headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
        ...(localAddress === undefined ? {} : { localAddress }),
      });
    const write = (method: string, pathname: string, bearer: string, body: unknown) =>
      send(`${base}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify(body),
      });
    let p2Observation: string;

    before(async () => {
      ({ dir, secrets } = await prepareProject());
      tokenStore = await backend.start();
      HTTP_ENV = { ...BASE_ENV, ...tokenStore.env };
      server = await startServer(dir, HTTP_ENV);
      base = server.url;
      const admin = await token('admin');
      for (const id of ['p1', 'p2']) {
        const reply = await write('PUT', `/r4/Patient/${id}`, admin, { resourceType: 'Patient', id });
        assert.ok([200, 201].includes(reply.status), reply.text);
      }
      for (const subject of ['p1', 'p2']) {
        const reply = await write('POST', '/r4/Observation', admin, {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'heart rate' },
          subject: { reference: `Patient/${subject}` },
        });
        assert.equal(reply.status, 201, reply.text);
        if (subject === 'p2') p2Observation = reply.json().id;
      }
    });

    after(async () => {
      await server?.stop();
      await tokenStore?.stop();
    });

    /** RFC 6750 §3.1 as SECURITY.md asks: 401, the Bearer challenge with the reason, an OperationOutcome. */
    function assertInvalidToken(reply: Received, description: string): void {
      assert.equal(reply.status, 401, reply.text);
      assert.equal(
        reply.headers['www-authenticate'],
        `Bearer realm="fhir", error="invalid_token", error_description="${description}"`,
      );
      assertOutcome(reply, 'login');
    }

    function assertInsufficientScope(reply: Received, scope?: string): void {
      assert.equal(reply.status, 403, reply.text);
      const challenge = String(reply.headers['www-authenticate']);
      assert.match(challenge, /^Bearer realm="fhir", error="insufficient_scope"/);
      if (scope !== undefined)
        assert.match(challenge, new RegExp(`scope="${scope.replace(/[/*.]/g, '\\$&')}"`));
      assertOutcome(reply, 'forbidden');
    }

    function assertOutcome(reply: Received, code: string): void {
      assert.match(String(reply.headers['content-type']), /^application\/fhir\+json/);
      const body = reply.json();
      assert.equal(body.resourceType, 'OperationOutcome');
      assert.equal(body.issue[0].code, code);
    }

    /** Claims as the token service issues them, signed with the project's own key and recorded as issued. */
    async function serverSigned(
      edit: (header: Record<string, unknown>, payload: Record<string, unknown>) => void,
    ) {
      const keyFile = JSON.parse(readFileSync(path.join(dir, 'data/security/signing-key.json'), 'utf8'));
      const key = privateKeyFromJwk(keyFile.privateJwk);
      const jwks = JSON.parse((await get('/.well-known/jwks.json')).text);
      const now = Math.floor(Date.now() / 1000);
      const header: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt', kid: jwks.keys[0].kid };
      const payload: Record<string, unknown> = {
        iss: ISSUER,
        aud: ISSUER,
        sub: 'forger',
        client_id: 'forger',
        scope: 'system/*.*',
        jti: randomUUID(),
        iat: now,
        exp: now + 600,
        client_addr: '127.0.0.1',
      };
      edit(header, payload);
      const forged = signedWith(key, header, payload);
      const store = await tokenStore.openStore(dir);
      try {
        await store.recordIssued({
          jti: payload.jti as string,
          subject: 'forger',
          clientId: 'forger',
          fingerprint: fingerprintOf(forged),
          issuedAt: now,
          expiresAt: Math.max(now, payload.exp as number),
        });
      } finally {
        await store.close();
      }
      return forged;
    }

    const READ = '/r4/Patient/p1';

    describe('token matrix', () => {
      it('accepts an issued token (control case), and a server-signed recorded one', async () => {
        assert.equal((await get(READ, await token('admin'))).status, 200);
        assert.equal((await get(READ, await serverSigned(() => {}))).status, 200);
      });

      it('refuses a request without a token', async () => {
        assertInvalidToken(await get(READ), 'no bearer token');
      });

      it('refuses alg: none', async () => {
        const { payload } = split(await token('admin'));
        assertInvalidToken(
          await get(READ, unsigned({ alg: 'none', typ: 'at+jwt' }, payload)),
          'token invalid',
        );
      });

      it('refuses HMAC signed with the public key', async () => {
        const jwks = JSON.parse((await get('/.well-known/jwks.json')).text);
        const { header, payload } = split(await token('admin'));
        const forged = hmacSigned({ ...header, alg: 'HS256' }, payload, JSON.stringify(jwks.keys[0]));
        assertInvalidToken(await get(READ, forged), 'token invalid');
        const rawKey = Buffer.from(jwks.keys[0].x, 'base64url');
        assertInvalidToken(
          await get(READ, hmacSigned({ ...header, alg: 'HS256' }, payload, rawKey)),
          'token invalid',
        );
      });

      it('refuses a token signed with another key', async () => {
        const { header, payload } = split(await token('admin'));
        const forged = signedWith(attackerKey('ed25519'), header, { ...payload, jti: randomUUID() });
        assertInvalidToken(await get(READ, forged), 'token invalid');
      });

      it('refuses an edited payload, and revokes the token it was copied from', async () => {
        const issued = await token('reader');
        const edited = withPayload(issued, { ...split(issued).payload, scope: 'system/*.*' });
        assertInvalidToken(await get(READ, edited), 'token invalid');
        assertInvalidToken(await get('/r4/Observation/x', issued), 'token revoked');
      });

      it('refuses an expired token', async () => {
        const now = Math.floor(Date.now() / 1000);
        const expired = await serverSigned((_h, p) => {
          p.iat = now - 900;
          p.exp = now - 300;
        });
        assertInvalidToken(await get(READ, expired), 'token expired');
      });

      it('refuses a token whose nbf is in the future', async () => {
        const early = await serverSigned((_h, p) => {
          p.nbf = Math.floor(Date.now() / 1000) + 300;
        });
        assertInvalidToken(await get(READ, early), 'token invalid');
      });

      it('refuses a wrong iss', async () => {
        const forged = await serverSigned((_h, p) => {
          p.iss = 'https://attacker.test';
        });
        assertInvalidToken(await get(READ, forged), 'token invalid');
      });

      it('refuses a wrong aud', async () => {
        const forged = await serverSigned((_h, p) => {
          p.aud = 'https://another-server.test';
        });
        assertInvalidToken(await get(READ, forged), 'token invalid');
      });

      it('refuses a wrong typ (an ID token or a plain JWT is not an access token, RFC 9068 §4)', async () => {
        for (const typ of ['JWT', 'id_token+jwt']) {
          const forged = await serverSigned((h) => {
            h.typ = typ;
          });
          assertInvalidToken(await get(READ, forged), 'token invalid');
        }
      });

      it('refuses a revoked token', async () => {
        const issued = await token('reader');
        const revoked = await send(`${base}/auth/revoke`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic('reader', secrets.reader as string),
          },
          body: `token=${issued}`,
        });
        assert.equal(revoked.status, 200);
        assertInvalidToken(await get('/r4/Observation/x', issued), 'token revoked');
      });

      it('refuses a token superseded by a newer one for the same client', async () => {
        const older = await token('searcher');
        const newer = await token('searcher');
        assertInvalidToken(await get('/r4/Observation', older), 'token superseded by a newer one');
        assert.equal((await get('/r4/Observation', newer)).status, 200);
      });

      it('refuses a token from another address, revokes it and blocks that address', async () => {
        const issued = await token('reader');
        assertInvalidToken(
          await get('/r4/Observation/x', issued, '127.0.0.2'),
          'token used from another address',
        );
        assertInvalidToken(await get('/r4/Observation/x', issued), 'token revoked');
        assertInvalidToken(await get('/r4/Observation/x', undefined, '127.0.0.2'), 'address blocked');
      });

      it('refuses a tampered copy re-signed with another key, and revokes the original', async () => {
        const issued = await token('reader');
        const { header, payload } = split(issued);
        const copy = signedWith(attackerKey('ed25519'), header, { ...payload, scope: 'system/*.*' });
        assertInvalidToken(await get(READ, copy), 'token invalid');
        assertInvalidToken(await get('/r4/Observation/x', issued), 'token revoked');
      });

      it('refuses a copy with a malleated signature encoding, and revokes the original', async () => {
        const issued = await token('reader');
        const copy = malleateEncoding(issued);
        assert.notEqual(copy, issued);
        assertInvalidToken(await get('/r4/Observation/x', copy), 'token invalid');
        assertInvalidToken(await get('/r4/Observation/x', issued), 'token revoked');
      });

      it('refuses v1 scope escalation: a read scope, a create request', async () => {
        const reader = await token('reader');
        const reply = await write('POST', '/r4/Observation', reader, {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'x' },
        });
        assertInsufficientScope(reply, 'patient/Observation.c user/Observation.c system/Observation.c');
        assertInsufficientScope(await get(READ, reader), 'patient/Patient.r user/Patient.r system/Patient.r');
      });

      it('refuses v2 scope escalation: a search-only scope, a read request', async () => {
        const searcher = await token('searcher', 'system/Observation.s');
        assert.equal((await get('/r4/Observation', searcher)).status, 200);
        assertInsufficientScope(
          await get(`/r4/Observation/${p2Observation}`, searcher),
          'patient/Observation.r user/Observation.r system/Observation.r',
        );
      });

      it('refuses at the token endpoint a scope the client was not registered for', async () => {
        const reply = await send(`${base}/auth/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic('reader', secrets.reader as string),
          },
          body: 'grant_type=client_credentials&scope=system/*.*',
        });
        assert.equal(reply.status, 400);
        assert.equal(reply.json().error, 'invalid_scope');
      });

      it("refuses another patient's data to a patient-scoped token", async () => {
        const p1 = await token('p1-app');
        assert.equal((await get('/r4/Patient/p1', p1)).status, 200);
        assertInsufficientScope(await get('/r4/Patient/p2', p1));
        assertInsufficientScope(await get(`/r4/Observation/${p2Observation}`, p1));
        const search = (await get('/r4/Observation', p1)).json();
        const subjects = search.entry.map(
          (e: { resource: { subject: { reference: string } } }) => e.resource.subject.reference,
        );
        assert.ok(subjects.length > 0);
        assert.deepEqual([...new Set(subjects)], ['Patient/p1']);
      });

      it('refuses an out-of-scope _include', async () => {
        const searcher = await token('searcher');
        assertInsufficientScope(
          await get('/r4/Observation?_include=Observation:subject:Patient', searcher),
          'patient/Patient.r user/Patient.r system/Patient.r',
        );
        assertInsufficientScope(await get('/r4/Observation?_revinclude=Provenance:target', searcher));
      });

      it('refuses a transaction with an out-of-scope entry, and writes none of it', async () => {
        const writer = await token('writer');
        const before = (await get('/r4/Observation', writer)).json().entry.length;
        const reply = await write('POST', '/r4', writer, {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
              request: { method: 'POST', url: 'Observation' },
            },
            { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
          ],
        });
        assertInsufficientScope(reply, 'patient/Patient.c user/Patient.c system/Patient.c');
        assert.match(reply.json().issue[0].diagnostics, /Bundle\.entry\[1\]/);
        assert.equal((await get('/r4/Observation', writer)).json().entry.length, before);
      });
    });

    describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
      const form = (endpoint: string, body: string, clientId?: string) =>
        send(`${base}${endpoint}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(clientId === undefined
              ? {}
              : { authorization: basic(clientId, secrets[clientId] as string) }),
          },
          body,
        });

      it('refuses unauthenticated callers of both endpoints with invalid_client', async () => {
        const issued = await token('searcher');
        for (const endpoint of ['/auth/revoke', '/auth/introspect']) {
          const reply = await form(endpoint, `token=${issued}`);
          assert.equal(reply.status, 401, endpoint);
          assert.equal(reply.json().error, 'invalid_client');
          assert.match(String(reply.headers['www-authenticate']), /^Basic/);
        }
        assert.equal((await get('/r4/Observation', issued)).status, 200);
      });

      it('limits the token endpoint per address: 429 with Retry-After beyond the configured rate', async () => {
        let reply: Received | undefined;
        for (let attempt = 0; attempt <= TOKEN_LIMIT; attempt += 1) {
          reply = await send(`${base}/auth/token`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: basic('admin', 'wrong'),
            },
            body: 'grant_type=client_credentials',
            localAddress: '127.0.0.4',
          });
          if (attempt < TOKEN_LIMIT) assert.equal(reply.status, 401, `attempt ${attempt}: ${reply.text}`);
        }
        assert.equal(reply?.status, 429);
        assert.ok(Number(reply?.headers['retry-after']) >= 1);
        assert.equal(reply?.json().error, 'slow_down');
      });

      it('answers 200 to the revocation of an unknown or malformed token', async () => {
        assert.equal((await form('/auth/revoke', `token=${randomUUID()}`, 'searcher')).status, 200);
        assert.equal((await form('/auth/revoke', 'token=a.b.c', 'searcher')).status, 200);
      });

      it('introspects an active token with the RFC fields and patient, and nothing but {"active":false} otherwise', async () => {
        const p1 = await token('p1-app');
        const active = (await form('/auth/introspect', `token=${p1}`, 'searcher')).json();
        assert.deepEqual(Object.keys(active).sort(), [
          'active',
          'aud',
          'client_id',
          'exp',
          'iat',
          'iss',
          'jti',
          'patient',
          'scope',
          'sub',
        ]);
        assert.equal(active.active, true);
        assert.equal(active.patient, 'p1');
        assert.equal(active.iss, ISSUER);
        await form('/auth/revoke', `token=${p1}`, 'p1-app');
        const now = Math.floor(Date.now() / 1000);
        const inactive = [
          p1,
          'garbage',
          malleateEncoding(await token('searcher')),
          await serverSigned((_h, p) => {
            p.exp = now - 300;
            p.iat = now - 900;
          }),
        ];
        for (const candidate of inactive) {
          const reply = await form('/auth/introspect', `token=${candidate}`, 'writer');
          assert.equal(reply.status, 200);
          assert.equal(reply.text, '{"active":false}');
        }
      });
    });

    describe('public documents', () => {
      it('serves /metadata with rest.security and /.well-known/smart-configuration without a token', async () => {
        const metadata = (await get('/r4/metadata')).json();
        const uris = metadata.rest[0].security.extension[0].extension;
        assert.deepEqual(
          uris.find((u: { url: string }) => u.url === 'token').valueUri,
          `${ISSUER}/auth/token`,
        );
        const smart = (await get('/.well-known/smart-configuration')).json();
        assert.equal(smart.revocation_endpoint, `${ISSUER}/auth/revoke`);
        assert.equal(smart.introspection_endpoint, `${ISSUER}/auth/introspect`);
      });

      it('sends helmet headers, no X-Powered-By, and no HSTS over plain HTTP', async () => {
        const reply = await get('/r4/metadata');
        assert.equal(reply.headers['x-content-type-options'], 'nosniff');
        assert.match(String(reply.headers['content-security-policy']), /default-src 'none'/);
        assert.equal(reply.headers['x-powered-by'], undefined);
        assert.equal(reply.headers['strict-transport-security'], undefined);
      });

      it('warned at start about plain HTTP without a trusted proxy', () => {
        assert.match(server.output(), /WARNING: serving plain HTTP without a trusted proxy/);
      });
    });

    if (withTransport) transportTests();

    function transportTests(): void {
      describe('https (the project as generated with --https)', () => {
        let secure: Started | undefined;
        let ca: string;
        before(async () => {
          ca = readFileSync(path.join(dir, 'certs/dev-cert.pem'), 'utf8');
          secure = await startHttps(dir, { REDIRECT_PORT: '0', LOG_LEVEL: 'warn' });
        });
        after(async () => {
          await secure?.stop();
        });

        it('answers a real TLS request, with HSTS', async () => {
          const reply = await send(`${secure?.url}/r4/metadata`, { ca });
          assert.equal(reply.status, 200);
          assert.equal(reply.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
          const refused = await send(`${secure?.url}/r4/Patient/p1`, { ca });
          assert.equal(refused.status, 401);
          assert.equal(refused.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
        });

        it('issues and accepts tokens over TLS', async () => {
          const bearer = await clientToken(secure?.url as string, 'durable', secrets.durable as string, {
            ca,
          });
          const reply = await send(`${secure?.url}/r4/Patient/p1`, {
            ca,
            headers: { authorization: `Bearer ${bearer}` },
          });
          assert.equal(reply.status, 200, reply.text);
        });

        it('redirects plain HTTP with 301 to HTTPS, without HSTS', async () => {
          const reply = await send(`${secure?.redirect}/r4/Patient?name=x`);
          assert.equal(reply.status, 301);
          assert.equal(reply.headers.location, `${secure?.url}/r4/Patient?name=x`);
          assert.equal(reply.headers['strict-transport-security'], undefined);
        });
      });

      describe('start-up', () => {
        it('refuses to start with an unreadable certificate, naming the setting', async () => {
          await assert.rejects(
            startServer(dir, { TRANSPORT: 'https', TLS_CERT_FILE: path.join(dir, 'certs/missing.pem') }),
            /exited with 1[\s\S]*tls\.cert: cannot read .*missing\.pem \(ENOENT\)/,
          );
        });

        it('refuses to start with a key that does not belong to the certificate', async () => {
          await assert.rejects(
            startServer(dir, { TRANSPORT: 'https', TLS_KEY_PEM: generateDevCertificate().keyPem }),
            /exited with 1[\s\S]*the private key does not belong to the certificate/,
          );
        });

        it('warns when security is turned off, and then serves without a token', async () => {
          const open = await startServer(dir, { ...HTTP_ENV, SECURITY: 'off' });
          try {
            assert.match(open.output(), /WARNING: security is OFF/);
            assert.equal((await send(`${open.url}/r4/Patient/p1`)).status, 200);
          } finally {
            await open.stop();
          }
        });
      });
    }

    describe('durability', () => {
      it('keeps a revocation across a SIGKILL and a restart; other tokens stay valid', async () => {
        const revoked = await token('durable');
        const kept = await token('durable-other');
        const reply = await send(`${base}/auth/revoke`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic('durable', secrets.durable as string),
          },
          body: `token=${revoked}`,
        });
        assert.equal(reply.status, 200);
        assertInvalidToken(await get(READ, revoked), 'token revoked');
        assert.equal(await server.stop('SIGKILL'), null);
        assert.equal(server.child.signalCode, 'SIGKILL');
        server = await startServer(dir, HTTP_ENV);
        base = server.url;
        assertInvalidToken(await get(READ, revoked), 'token revoked');
        assert.equal((await get(READ, kept)).status, 200);
      });
    });
  });
}

interface Started {
  url: string;
  redirect: string | undefined;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Like `startServer`, for the https transport: waits for the https URL and the redirect listener. */
function startHttps(dir: string, env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/server.js'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TOKEN_ISSUER: ISSUER, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the https server did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (https:\/\/[0-9.]+:[0-9]+)/.exec(output)?.[1];
      const redirect = /redirecting (http:\/\/[0-9.]+:[0-9]+)/.exec(output)?.[1];
      if (url && redirect) {
        clearTimeout(timer);
        resolve({
          url,
          redirect,
          child,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the https server exited with ${code}:\n${output}`));
    });
  });
}
