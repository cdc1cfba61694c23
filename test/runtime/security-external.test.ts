import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { attackerKey, signedWith } from './fixtures/security/forge';
import {
  assertInsufficientScope,
  assertInvalidToken,
  type Harness,
  startHarness,
} from './fixtures/security/harness';

/**
 * External issuer mode: a stand-in identity provider on loopback serves a JWKS and an RFC 7662
 * introspection endpoint; the same middleware verifies its tokens and still applies revocation,
 * address binding and scopes.
 */
const READ = '/r4/Observation/obs-p1';
const AUD = 'https://fhir.example.test/r4';

interface Idp {
  url: string;
  jwksFetches: number;
  introspections: number;
  jwksDelayMs: number;
  active: Map<string, Record<string, unknown>>;
  sign(claims?: Record<string, unknown>, header?: Record<string, unknown>): string;
  close(): Promise<void>;
}

async function startIdp(): Promise<Idp> {
  const key = attackerKey('ed25519');
  const jwk = { ...key.export({ format: 'jwk' }), d: undefined, kid: 'idp-1', alg: 'EdDSA', use: 'sig' };
  const timers = new Set<NodeJS.Timeout>();
  const app = express();
  const idp = { jwksFetches: 0, introspections: 0, jwksDelayMs: 0, active: new Map() } as Idp;
  app.get('/jwks', (_req, res) => {
    idp.jwksFetches += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.json({ keys: [jwk] });
    }, idp.jwksDelayMs);
    timers.add(timer);
  });
  app.post('/introspect', express.urlencoded({ extended: false }), (req, res) => {
    idp.introspections += 1;
    if (req.headers.authorization !== `Basic ${Buffer.from('fhir-server:rs-secret').toString('base64')}`) {
      return void res.status(401).json({ error: 'invalid_client' });
    }
    res.json(idp.active.get(req.body.token) ?? { active: false });
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(idp, {
    url,
    sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: 'https://idp.example.test',
        aud: AUD,
        sub: 'u1',
        client_id: 'c1',
        scope: 'user/Observation.rs',
        jti: randomUUID(),
        iat: now,
        exp: now + 300,
        ...claims,
      };
      return signedWith(key, { alg: 'EdDSA', typ: 'at+jwt', kid: 'idp-1', ...header }, payload);
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

describe('external issuer: JWKS', () => {
  let idp: Idp;
  let h: Harness;
  beforeEach(async () => {
    idp = await startIdp();
    h = await startHarness({
      external: {
        issuer: 'https://idp.example.test',
        jwksUrl: `${idp.url}/jwks`,
        algorithms: ['EdDSA', 'ES256'],
        timeoutMs: 300,
      },
    });
  });
  afterEach(async () => {
    await h.close();
    await idp.close();
  });

  it('serves no token endpoint of its own', async () => {
    assert.equal((await h.post('/auth/token', { body: '' })).status, 404);
  });

  it("accepts the issuer's token, fetching the key set once and caching it", async () => {
    assert.equal((await h.get(READ, idp.sign())).status, 200);
    assert.equal((await h.get(READ, idp.sign())).status, 200);
    assert.equal(idp.jwksFetches, 1);
  });

  it('refuses a token under a kid the key set does not hold, or signed by another key', async () => {
    assertInvalidToken(await h.get(READ, idp.sign({}, { kid: 'elsewhere' })), 'token invalid');
    const forged = signedWith(
      attackerKey('ed25519'),
      { alg: 'EdDSA', typ: 'at+jwt', kid: 'idp-1' },
      {
        iss: 'https://idp.example.test',
        aud: AUD,
        sub: 'u1',
        client_id: 'c1',
        scope: 'user/*.*',
        jti: randomUUID(),
        iat: 1,
        exp: 4_000_000_000,
      },
    );
    assertInvalidToken(await h.get(READ, forged), 'token invalid');
  });

  it('refuses a wrong issuer or audience', async () => {
    assertInvalidToken(
      await h.get(READ, idp.sign({ iss: 'https://other-idp.example.test' })),
      'token invalid',
    );
    assertInvalidToken(
      await h.get(READ, idp.sign({ aud: 'https://someone-else.example.test' })),
      'token invalid',
    );
  });

  it('applies the scopes of the token', async () => {
    const token = idp.sign({ scope: 'user/Observation.s' });
    assertInsufficientScope(
      await h.get(READ, token),
      'patient/Observation.r user/Observation.r system/Observation.r',
    );
  });

  it('binds a token to the first address it is used from, then revokes it and blocks the other address', async () => {
    const token = idp.sign();
    assert.equal((await h.get(READ, token, '127.0.0.1')).status, 200);
    assertInvalidToken(await h.get(READ, token, '127.0.0.2'), 'token used from another address');
    assertInvalidToken(await h.get(READ, token, '127.0.0.1'), 'token revoked');
    assertInvalidToken(await h.get(READ, idp.sign(), '127.0.0.2'), 'address blocked');
  });

  it('answers 503 when the key set does not come in time, not 401', async () => {
    idp.jwksDelayMs = 5000;
    const response = await h.get(READ, idp.sign());
    assert.equal(response.status, 503);
    assert.equal(JSON.parse(response.text).issue[0].code, 'transient');
  });
});

describe('external issuer: algorithm allow-list', () => {
  it('refuses a token of an algorithm outside the allow-list even when the key set has its key', async () => {
    const idp = await startIdp();
    const h = await startHarness({
      external: { issuer: 'https://idp.example.test', jwksUrl: `${idp.url}/jwks`, algorithms: ['ES256'] },
    });
    try {
      assertInvalidToken(await h.get(READ, idp.sign()), 'token invalid');
    } finally {
      await h.close();
      await idp.close();
    }
  });
});

describe('external issuer: RFC 7662 introspection', () => {
  let idp: Idp;
  let h: Harness;
  beforeEach(async () => {
    idp = await startIdp();
    h = await startHarness({
      external: {
        issuer: 'https://idp.example.test',
        introspection: { url: `${idp.url}/introspect`, clientId: 'fhir-server', clientSecret: 'rs-secret' },
        timeoutMs: 1000,
        cacheSeconds: 30,
      },
    });
  });
  afterEach(async () => {
    await h.close();
    await idp.close();
  });

  function activate(token: string, claims: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000);
    idp.active.set(token, {
      active: true,
      sub: 'u1',
      client_id: 'c1',
      scope: 'user/Observation.rs',
      exp: now + 300,
      aud: AUD,
      jti: randomUUID(),
      ...claims,
    });
  }

  it('accepts a token the issuer says is active, and caches the answer', async () => {
    activate('opaque-1');
    assert.equal((await h.get(READ, 'opaque-1')).status, 200);
    assert.equal((await h.get(READ, 'opaque-1')).status, 200);
    assert.equal(idp.introspections, 1);
  });

  it('refuses a token the issuer says is inactive', async () => {
    assertInvalidToken(await h.get(READ, 'opaque-unknown'), 'token invalid');
  });

  it('refuses an active token meant for another audience or from another issuer', async () => {
    activate('opaque-aud', { aud: 'https://someone-else.example.test' });
    assertInvalidToken(await h.get(READ, 'opaque-aud'), 'token invalid');
    activate('opaque-iss', { iss: 'https://other-idp.example.test' });
    assertInvalidToken(await h.get(READ, 'opaque-iss'), 'token invalid');
  });

  it('applies scopes and address binding to introspected tokens', async () => {
    activate('opaque-s', { scope: 'user/Observation.s' });
    assert.equal((await h.get(READ, 'opaque-s')).status, 403);
    activate('opaque-b');
    assert.equal((await h.get(READ, 'opaque-b', '127.0.0.1')).status, 200);
    assertInvalidToken(await h.get(READ, 'opaque-b', '127.0.0.3'), 'token used from another address');
    assertInvalidToken(await h.get(READ, 'opaque-b', '127.0.0.1'), 'token revoked');
  });

  it('answers 503 when the introspection endpoint is unreachable', async () => {
    await idp.close();
    const response = await h.get(READ, 'opaque-down');
    assert.equal(response.status, 503);
    idp = await startIdp();
  });
});
