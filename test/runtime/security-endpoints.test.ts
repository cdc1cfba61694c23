import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { capabilitySecurity } from '../../src/runtime/security/capability';
import { split, withPayload } from './fixtures/security/forge';
import { type Harness, startHarness } from './fixtures/security/harness';
import { basic, form, type Received } from './fixtures/security/http';

/** The HTTP behaviour of the token, revocation and introspection endpoints (RFC 6749, 7009, 7662). */
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const APP = { ...FORM, Authorization: basic('app', 'app-secret') };
const RS = { ...FORM, Authorization: basic('resource-server', 'rs-secret') };

function json(response: Received): Record<string, unknown> {
  return JSON.parse(response.text) as Record<string, unknown>;
}

describe('POST /auth/token', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('issues an RFC 9068 access token for client credentials', async () => {
    const response = await h.post('/auth/token', {
      headers: APP,
      body: form({ grant_type: 'client_credentials', scope: 'system/*.*' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = json(response);
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 600);
    const { header, payload } = split(body.access_token as string);
    assert.deepEqual(header, { alg: 'EdDSA', typ: 'at+jwt', kid: h.security.key?.kid });
    assert.deepEqual(Object.keys(payload).sort(), [
      'aud',
      'client_addr',
      'client_id',
      'exp',
      'iat',
      'iss',
      'jti',
      'scope',
      'sub',
    ]);
    assert.equal(payload.iss, 'https://fhir.example.test');
    assert.equal(payload.aud, 'https://fhir.example.test/r4');
    assert.equal(payload.sub, 'app');
    assert.equal(payload.client_id, 'app');
    assert.equal(payload.scope, 'system/*.*');
    assert.equal(payload.client_addr, '127.0.0.1');
    assert.equal((payload.exp as number) - (payload.iat as number), 600);
    assert.match(payload.jti as string, /^[0-9a-f-]{36}$/);
    assert.equal(h.audit.ofType('token_issued')[0]?.jti, payload.jti);
  });

  it('grants every registered scope when none is asked for', async () => {
    const response = await h.post('/auth/token', {
      headers: { ...FORM, Authorization: basic('other-app', 'app-secret') },
      body: form({ grant_type: 'client_credentials' }),
    });
    assert.equal(json(response).scope, 'user/Observation.read');
  });

  it('accepts client credentials in the body (client_secret_post)', async () => {
    const body = form({ grant_type: 'client_credentials', client_id: 'app', client_secret: 'app-secret' });
    assert.equal((await h.post('/auth/token', { headers: FORM, body })).status, 200);
  });

  it('refuses two client authentication methods at once (RFC 6749 §2.3)', async () => {
    const body = form({ grant_type: 'client_credentials', client_id: 'app', client_secret: 'app-secret' });
    const response = await h.post('/auth/token', { headers: APP, body });
    assert.equal(response.status, 400);
    assert.equal(json(response).error, 'invalid_request');
  });

  it('answers 401 invalid_client for a wrong secret and for an unknown client, and audits it', async () => {
    for (const [id, secret] of [
      ['app', 'wrong'],
      ['nobody', 'app-secret'],
    ] as const) {
      const response = await h.post('/auth/token', {
        headers: { ...FORM, Authorization: basic(id, secret) },
        body: form({ grant_type: 'client_credentials' }),
      });
      assert.equal(response.status, 401);
      assert.equal(json(response).error, 'invalid_client');
      assert.equal(response.headers['www-authenticate'], 'Basic realm="auth"');
    }
    assert.equal(h.audit.ofType('client_auth_failed').length, 2);
  });

  it('issues a patient-scoped token with the patient claim through the development password grant', async () => {
    const body = form({
      grant_type: 'password',
      client_id: 'portal',
      username: 'alice',
      password: 'alice-password',
    });
    const response = await h.post('/auth/token', { headers: FORM, body });
    assert.equal(response.status, 200);
    const token = json(response);
    assert.equal(token.patient, 'p1');
    assert.equal(token.scope, 'patient/Observation.rs patient/Patient.r');
    const { payload } = split(token.access_token as string);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.client_id, 'portal');
    assert.equal(payload.patient, 'p1');
  });

  it('answers invalid_grant for a wrong password or an unknown user', async () => {
    for (const [username, password] of [
      ['alice', 'nope'],
      ['mallory', 'alice-password'],
    ] as const) {
      const body = form({ grant_type: 'password', client_id: 'portal', username, password });
      const response = await h.post('/auth/token', { headers: FORM, body });
      assert.equal(response.status, 400);
      assert.equal(json(response).error, 'invalid_grant');
    }
  });

  it('refuses the password grant to a client not registered for it, and unknown grant types', async () => {
    const password = await h.post('/auth/token', {
      headers: APP,
      body: form({ grant_type: 'password', username: 'alice', password: 'alice-password' }),
    });
    assert.equal(json(password).error, 'unsupported_grant_type');
    const code = await h.post('/auth/token', {
      headers: APP,
      body: form({ grant_type: 'authorization_code', code: 'x' }),
    });
    assert.equal(code.status, 400);
    assert.equal(json(code).error, 'unsupported_grant_type');
  });

  it('refuses a body that is not form-encoded, and repeated parameters', async () => {
    const jsonBody = await h.post('/auth/token', {
      headers: { 'Content-Type': 'application/json', Authorization: basic('app', 'app-secret') },
      body: '{"grant_type":"client_credentials"}',
    });
    assert.equal(jsonBody.status, 400);
    const repeated = await h.post('/auth/token', {
      headers: APP,
      body: 'grant_type=client_credentials&grant_type=password',
    });
    assert.equal(repeated.status, 400);
    assert.equal(json(repeated).error, 'invalid_request');
  });

  it('answers an oversized body with an OAuth error, not a stack trace', async () => {
    const response = await h.post('/auth/token', {
      headers: APP,
      body: `grant_type=client_credentials&scope=${'x'.repeat(20_000)}`,
    });
    assert.equal(response.status, 413);
    assert.deepEqual(json(response), {
      error: 'invalid_request',
      error_description: 'the request could not be read',
    });
  });

  it('rate-limits the endpoint per address with 429 and Retry-After', async () => {
    const limited = await startHarness({ tokenRateLimit: { limit: 3, windowSeconds: 60 } });
    try {
      const attempt = () =>
        limited.post('/auth/token', {
          headers: { ...FORM, Authorization: basic('app', 'guess') },
          body: form({ grant_type: 'client_credentials' }),
        });
      for (let i = 0; i < 3; i += 1) assert.equal((await attempt()).status, 401);
      const refused = await attempt();
      assert.equal(refused.status, 429);
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
      assert.equal(limited.audit.ofType('rate_limited').length, 1);
      // Another address has its own budget.
      const elsewhere = await limited.post('/auth/token', {
        headers: APP,
        body: form({ grant_type: 'client_credentials' }),
        localAddress: '127.0.0.2',
      });
      assert.equal(elsewhere.status, 200);
    } finally {
      await limited.close();
    }
  });
});

describe('POST /auth/revoke (RFC 7009)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses an unauthenticated caller', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const response = await h.post('/auth/revoke', { headers: FORM, body: form({ token }) });
    assert.equal(response.status, 401);
    assert.equal(json(response).error, 'invalid_client');
    assert.equal((await h.get('/r4/Observation/obs-p1', token)).status, 200);
  });

  it('answers 200 for an unknown token and for garbage', async () => {
    for (const token of ['eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.c2ln', 'not a token']) {
      const response = await h.post('/auth/revoke', { headers: APP, body: form({ token }) });
      assert.equal(response.status, 200);
    }
    assert.equal(h.audit.ofType('token_revoked').length, 0);
  });

  it('revokes by jti: 200, the token answers 401, and revoking again is still 200', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    assert.equal(
      (await h.post('/auth/revoke', { headers: APP, body: form({ token, token_type_hint: 'access_token' }) }))
        .status,
      200,
    );
    assert.equal((await h.get('/r4/Observation/obs-p1', token)).status, 401);
    assert.equal((await h.post('/auth/revoke', { headers: APP, body: form({ token }) })).status, 200);
    assert.equal(h.audit.ofType('token_revoked').length, 1);
    const { revocation } = await h.security.store.state(split(token).payload.jti as string);
    assert.equal(revocation?.reason, 'revoked by client');
  });

  it("refuses to revoke another client's token, which stays valid", async () => {
    const token = await h.token('other-app', 'user/Observation.read');
    const response = await h.post('/auth/revoke', { headers: APP, body: form({ token }) });
    assert.equal(response.status, 400);
    assert.equal((await h.get('/r4/Observation/obs-p1', token)).status, 200);
  });

  it('does not revoke through an edited copy sent to the revocation endpoint', async () => {
    const token = await h.token('other-app', 'user/Observation.read');
    const edited = withPayload(token, { ...split(token).payload, client_id: 'app' });
    assert.equal((await h.post('/auth/revoke', { headers: APP, body: form({ token: edited }) })).status, 200);
    assert.equal((await h.get('/r4/Observation/obs-p1', token)).status, 200);
  });

  it('answers 400 invalid_request without a token parameter', async () => {
    const response = await h.post('/auth/revoke', { headers: APP, body: form({}) });
    assert.equal(response.status, 400);
    assert.equal(json(response).error, 'invalid_request');
  });
});

describe('POST /auth/introspect (RFC 7662)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const introspect = (token: string) => h.post('/auth/introspect', { headers: RS, body: form({ token }) });

  async function assertInactive(token: string) {
    const response = await introspect(token);
    assert.equal(response.status, 200);
    assert.equal(response.text, '{"active":false}');
  }

  it('refuses an unauthenticated caller', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const response = await h.post('/auth/introspect', { headers: FORM, body: form({ token }) });
    assert.equal(response.status, 401);
    assert.equal(response.text.includes('active'), false);
  });

  it('describes an active token with the RFC fields', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const { payload } = split(token);
    const body = json(await introspect(token));
    assert.deepEqual(body, {
      active: true,
      scope: 'user/Observation.rs',
      client_id: 'app',
      sub: 'app',
      exp: payload.exp,
      iat: payload.iat,
      iss: 'https://fhir.example.test',
      aud: 'https://fhir.example.test/r4',
      jti: payload.jti,
    });
  });

  it('includes patient for a patient-scoped token', async () => {
    const response = await h.post('/auth/token', {
      headers: FORM,
      body: form({
        grant_type: 'password',
        client_id: 'portal',
        username: 'alice',
        password: 'alice-password',
      }),
    });
    const body = json(await introspect(json(response).access_token as string));
    assert.equal(body.active, true);
    assert.equal(body.patient, 'p1');
  });

  it('answers exactly {"active":false} for garbage and for a foreign token', async () => {
    await assertInactive('garbage');
    const foreign = await startHarness();
    try {
      await assertInactive(await foreign.token('app', 'user/Observation.rs'));
    } finally {
      await foreign.close();
    }
  });

  it('answers exactly {"active":false} for an expired token', async () => {
    h.clockOffsetMs = -20 * 60_000;
    const token = await h.token('app', 'user/Observation.rs');
    h.clockOffsetMs = 0;
    await assertInactive(token);
  });

  it('answers exactly {"active":false} from the second exp names on, active just before', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const exp = split(token).payload.exp as number;
    h.clockOffsetMs = exp * 1000 - Date.now() - 500;
    const before = await h.post('/auth/introspect', { headers: APP, body: form({ token }) });
    assert.equal(JSON.parse(before.text).active, true);
    h.clockOffsetMs = exp * 1000 - Date.now() + 1;
    await assertInactive(token);
  });

  it('answers exactly {"active":false} for a revoked token', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    await h.post('/auth/revoke', { headers: APP, body: form({ token }) });
    await assertInactive(token);
  });

  it('answers exactly {"active":false} for a superseded token', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    await h.token('app', 'user/Observation.rs');
    await assertInactive(token);
  });

  it('answers exactly {"active":false} for a tampered token, and the original is revoked', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    await assertInactive(withPayload(token, { ...split(token).payload, scope: 'system/*.*' }));
    await assertInactive(token);
  });
});

describe('public discovery documents', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('publishes the public signing key, without private members, under the kid tokens carry', async () => {
    const response = await h.get('/.well-known/jwks.json');
    assert.equal(response.status, 200);
    const { keys } = json(response) as { keys: Record<string, unknown>[] };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.kid, split(await h.token('app')).header.kid);
    assert.equal(keys[0]?.alg, 'EdDSA');
    assert.equal(keys[0]?.crv, 'Ed25519');
    assert.equal('d' in (keys[0] ?? {}), false);
  });

  it('names the endpoints in /.well-known/smart-configuration without a token', async () => {
    const body = json(await h.get('/.well-known/smart-configuration'));
    assert.equal(body.token_endpoint, 'https://fhir.example.test/auth/token');
    assert.equal(body.revocation_endpoint, 'https://fhir.example.test/auth/revoke');
    assert.equal(body.introspection_endpoint, 'https://fhir.example.test/auth/introspect');
    assert.equal(body.jwks_uri, 'https://fhir.example.test/.well-known/jwks.json');
    assert.ok((body.capabilities as string[]).includes('permission-v2'));
  });

  it('names the endpoints in the CapabilityStatement security section, per version', () => {
    const r4 = capabilitySecurity(h.security.config, 'r4');
    assert.equal(
      r4.service[0]?.coding[0]?.system,
      'http://terminology.hl7.org/CodeSystem/restful-security-service',
    );
    assert.equal(r4.service[0]?.coding[0]?.code, 'SMART-on-FHIR');
    assert.deepEqual(r4.extension?.[0]?.extension, [
      { url: 'token', valueUri: 'https://fhir.example.test/auth/token' },
      { url: 'revoke', valueUri: 'https://fhir.example.test/auth/revoke' },
      { url: 'introspect', valueUri: 'https://fhir.example.test/auth/introspect' },
    ]);
    assert.equal(
      capabilitySecurity(h.security.config, 'dstu2').service[0]?.coding[0]?.system,
      'http://hl7.org/fhir/restful-security-service',
    );
  });

  it('keeps the signing key in a file only its owner can read', () => {
    const mode = statSync(path.join(h.dir, 'signing-key.json')).mode & 0o777;
    assert.equal(mode, 0o600);
  });
});
