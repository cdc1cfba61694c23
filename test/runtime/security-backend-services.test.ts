import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AssertionEdits,
  assertionForm,
  type BackendKey,
  backendKey,
  clientAssertion,
} from './fixtures/security/backend-client';
import { hmacSigned, split, unsigned, withPayload } from './fixtures/security/forge';
import { assertInvalidToken, type Harness, startHarness } from './fixtures/security/harness';
import { basic, form, type Received } from './fixtures/security/http';

/**
 * SMART Backend Services (issue 15): clients authenticate with a JWT signed by their private key
 * (RFC 7523 §2.2), verified against the keys registered for them, inline or at a key set URL on a
 * loopback server started here. Each refusal is `400 invalid_client` with an audit event naming why.
 */
const TOKEN_URL = 'https://fhir.example.test/auth/token';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const READ = '/r4/Observation/obs-p1';

describe('SMART Backend Services: private_key_jwt client authentication', () => {
  let h: Harness;
  let rsa: BackendKey;
  let ec: BackendKey;
  let remoteKey: BackendKey;
  let jwksServer: Server;
  let jwksFetches = 0;

  before(async () => {
    rsa = backendKey('RS384');
    ec = backendKey('ES384');
    remoteKey = backendKey('ES384');
    const decoy = backendKey('RS384');
    jwksServer = createServer((_req, res) => {
      jwksFetches += 1;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [decoy.jwk, remoteKey.jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const port = (jwksServer.address() as AddressInfo).port;
    h = await startHarness({
      tokenRateLimit: { limit: 500, windowSeconds: 60 },
      clients: [
        { clientId: 'backend', scopes: ['system/*.read'], jwks: { keys: [rsa.jwk, ec.jwk] } },
        {
          clientId: 'remote',
          scopes: ['system/Observation.rs'],
          jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
        },
      ],
    });
  });
  after(async () => {
    await h.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  function tokenRequest(body: string, localAddress?: string): Promise<Received> {
    return h.post('/auth/token', { headers: FORM, body, ...(localAddress ? { localAddress } : {}) });
  }

  async function tokenWith(key: BackendKey, clientId = 'backend', fields: Record<string, string> = {}) {
    const response = await tokenRequest(
      assertionForm(await clientAssertion(key, clientId, TOKEN_URL), fields),
    );
    assert.equal(response.status, 200, response.text);
    return JSON.parse(response.text) as { access_token: string; scope: string };
  }

  /** 400 invalid_client, and the audit event with the reason, for an assertion changed by `edits`. */
  async function assertRefused(assertion: string, reason: string | RegExp): Promise<void> {
    const before = h.audit.ofType('client_auth_failed').length;
    const response = await tokenRequest(assertionForm(assertion));
    assert.equal(response.status, 400, response.text);
    assert.equal(JSON.parse(response.text).error, 'invalid_client');
    assert.equal(response.headers['www-authenticate'], undefined);
    const events = h.audit.ofType('client_auth_failed');
    assert.equal(events.length, before + 1);
    const last = events.at(-1);
    if (typeof reason === 'string') assert.equal(last?.reason, reason);
    else assert.match(String(last?.reason), reason);
  }

  const edited = (key: BackendKey, edits: AssertionEdits) =>
    clientAssertion(key, 'backend', TOKEN_URL, edits);

  it('issues a token for an RS384 and for an ES384 assertion, narrowed to the scope asked', async () => {
    const rs = await tokenWith(rsa);
    assert.equal(rs.scope, 'system/*.read');
    assert.equal(split(rs.access_token).payload.client_id, 'backend');
    assert.equal((await h.get(READ, rs.access_token)).status, 200);
    const es = await tokenWith(ec, 'backend', { scope: 'system/Patient.rs' });
    assert.equal(es.scope, 'system/Patient.rs');
    assert.equal((await h.get(READ, es.access_token)).status, 403);
  });

  it('verifies against a key set URL, picking the key by kid, and caches the set', async () => {
    const first = await tokenWith(remoteKey, 'remote');
    assert.equal(first.scope, 'system/Observation.rs');
    const fetches = jwksFetches;
    assert.ok(fetches >= 1);
    await tokenWith(remoteKey, 'remote');
    assert.equal(jwksFetches, fetches);
  });

  it('refuses an assertion with a wrong signature', async () => {
    const other = backendKey('RS384', rsa.kid);
    await assertRefused(await clientAssertion(other, 'backend', TOKEN_URL), 'signature invalid');
  });

  it('refuses an assertion signed with a key that is not registered', async () => {
    await assertRefused(
      await clientAssertion(backendKey('ES384'), 'backend', TOKEN_URL),
      'no registered key matches',
    );
  });

  it('refuses algorithms other than RS384 and ES384: RS256, none, HS256 with the public key', async () => {
    await assertRefused(await edited(rsa, { alg: 'RS256' }), 'algorithm not allowed');
    const { payload } = split(await edited(rsa, {}));
    await assertRefused(unsigned({ alg: 'none', typ: 'JWT' }, payload), 'algorithm not allowed');
    const pem = createPublicKey(rsa.privateKey).export({ type: 'spki', format: 'pem' });
    for (const secret of [pem, JSON.stringify(rsa.jwk)]) {
      const forged = hmacSigned(
        { alg: 'HS256', kid: rsa.kid },
        { ...payload, jti: `${Math.random()}` },
        secret,
      );
      await assertRefused(forged, 'algorithm not allowed');
    }
  });

  it('refuses a wrong aud', async () => {
    await assertRefused(
      await edited(rsa, { claims: { aud: 'https://fhir.example.test/r4' } }),
      'claim aud invalid',
    );
  });

  it('refuses a wrong iss or sub', async () => {
    await assertRefused(await edited(rsa, { claims: { sub: 'remote' } }), 'claim sub invalid');
    await assertRefused(await edited(rsa, { claims: { iss: 'nobody', sub: 'nobody' } }), 'unknown client');
    // Another key-registered client's name, signed with this client's key: that client's keys decide.
    await assertRefused(
      await edited(rsa, { claims: { iss: 'remote', sub: 'remote' } }),
      'no registered key matches',
    );
  });

  it('refuses an expired assertion, and one whose exp is more than 5 minutes ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused(await edited(rsa, { claims: { exp: now - 120 } }), 'assertion expired');
    await assertRefused(await edited(rsa, { claims: { exp: now + 600 } }), 'exp more than 5 minutes ahead');
  });

  it('refuses a replayed jti, and an assertion without jti', async () => {
    const assertion = await edited(rsa, {});
    assert.equal((await tokenRequest(assertionForm(assertion))).status, 200);
    await assertRefused(assertion, 'jti replayed');
    await assertRefused(await edited(rsa, { omit: ['jti'] }), 'claim jti invalid');
  });

  it('refuses a key-registered client that shows only its id, or a secret', async () => {
    const byId = await tokenRequest(form({ grant_type: 'client_credentials', client_id: 'backend' }));
    assert.equal(byId.status, 401);
    assert.equal(JSON.parse(byId.text).error, 'invalid_client');
    const bySecret = await h.post('/auth/token', {
      headers: { ...FORM, Authorization: basic('backend', '') },
      body: form({ grant_type: 'client_credentials' }),
    });
    assert.equal(bySecret.status, 401);
    const both = await h.post('/auth/token', {
      headers: { ...FORM, Authorization: basic('backend', 'x') },
      body: assertionForm(await edited(rsa, {})),
    });
    assert.equal(JSON.parse(both.text).error, 'invalid_request');
  });

  it('refuses an unsupported assertion type and a client_id other than the assertion’s', async () => {
    const assertion = await edited(rsa, {});
    const wrongType = await tokenRequest(assertionForm(assertion, { client_assertion_type: 'urn:x' }));
    assert.equal(wrongType.status, 400);
    assert.equal(JSON.parse(wrongType.text).error, 'invalid_client');
    await assertRefusedWith(assertionForm(await edited(rsa, {}), { client_id: 'remote' }));
  });

  async function assertRefusedWith(body: string) {
    const response = await tokenRequest(body);
    assert.equal(response.status, 400, response.text);
    assert.equal(JSON.parse(response.text).error, 'invalid_client');
  }

  it('holds its tokens to supersession, address binding, revocation and introspection', async () => {
    const first = await tokenWith(rsa);
    const second = await tokenWith(rsa);
    assertInvalidToken(await h.get(READ, first.access_token), 'token superseded by a newer one');
    const asserted = async () => assertionForm(await edited(rsa, {}));
    const introspection = await h.post('/auth/introspect', {
      headers: FORM,
      body: `${await asserted()}&token=${second.access_token}`,
    });
    assert.equal(JSON.parse(introspection.text).client_id, 'backend');
    const revoked = await h.post('/auth/revoke', {
      headers: FORM,
      body: `${await asserted()}&token=${second.access_token}`,
    });
    assert.equal(revoked.status, 200);
    assertInvalidToken(await h.get(READ, second.access_token), 'token revoked');
    const third = await tokenWith(rsa);
    assertInvalidToken(await h.get(READ, third.access_token, '127.0.0.2'), 'token used from another address');
    assert.ok(h.audit.ofType('token_issued').some((event) => event.clientId === 'backend'));
  });

  it('holds its tokens to tamper detection and abuse revocation, with audit events', async () => {
    const issued = await tokenWith(rsa);
    const copy = withPayload(issued.access_token, {
      ...split(issued.access_token).payload,
      scope: 'system/*.*',
    });
    assertInvalidToken(await h.get(READ, copy), 'token invalid');
    assertInvalidToken(await h.get(READ, issued.access_token), 'token revoked');
    assert.equal(h.audit.ofType('token_tampered').at(-1)?.clientId, 'backend');
    const narrow = await tokenWith(ec, 'backend', { scope: 'system/Patient.rs' });
    // The harness revokes a token at its 10th scope denial in a minute (security.abuse).
    for (let denial = 1; denial < 10; denial += 1) {
      assert.equal((await h.get(READ, narrow.access_token)).status, 403);
    }
    assertInvalidToken(await h.get(READ, narrow.access_token), 'token revoked');
    assertInvalidToken(await h.get('/r4/Patient/p1', narrow.access_token), 'token revoked');
    assert.match(String(h.audit.ofType('token_revoked').at(-1)?.reason), /^abuse: 10 scope denials/);
  });

  it('advertises private_key_jwt, its algorithms and client-confidential-asymmetric', async () => {
    const config = JSON.parse((await h.get('/.well-known/smart-configuration')).text);
    assert.deepEqual(config.token_endpoint_auth_methods_supported.slice(0, 2), [
      'private_key_jwt',
      'client_secret_basic',
    ]);
    assert.deepEqual(config.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    assert.equal(config.token_endpoint, TOKEN_URL);
    assert.ok(config.grant_types_supported.includes('client_credentials'));
    assert.ok(config.scopes_supported.includes('system/*.read'));
    for (const capability of ['client-confidential-asymmetric', 'permission-v1', 'permission-v2']) {
      assert.ok(config.capabilities.includes(capability), capability);
    }
  });
});
