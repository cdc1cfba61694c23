import assert from 'node:assert/strict';
import { randomUUID, verify } from 'node:crypto';
import { fingerprintOf } from '../../src/runtime/security/fingerprint';
import {
  attackerKey,
  hmacSigned,
  malleateEcdsa,
  malleateEncoding,
  signedWith,
  split,
  unsigned,
  withPayload,
} from './fixtures/security/forge';
import {
  assertInsufficientScope,
  assertInvalidToken,
  type Harness,
  startHarness,
} from './fixtures/security/harness';
import { basic, form } from './fixtures/security/http';

/**
 * The token matrix of SECURITY.md, each case its own test, against an Express app with the bearer
 * middleware in front of trivial FHIR routes. Every refused case names the exact reason the
 * middleware gives, so that a test cannot pass for another reason than the one it is about.
 */
const READ = '/r4/Observation/obs-p1';

describe('token matrix (built-in issuer, EdDSA)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Claims as the server would issue them, signed with the server's own key and recorded as issued. */
  async function serverSigned(
    edit: (header: Record<string, unknown>, payload: Record<string, unknown>) => void,
  ) {
    const now = Math.floor(Date.now() / 1000);
    const header: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt', kid: h.security.key?.kid };
    const payload: Record<string, unknown> = {
      iss: 'https://fhir.example.test',
      aud: 'https://fhir.example.test/r4',
      sub: 'app',
      client_id: 'app',
      scope: 'user/Observation.rs',
      jti: randomUUID(),
      iat: now,
      exp: now + 600,
      client_addr: '127.0.0.1',
    };
    edit(header, payload);
    const token = signedWith(h.security.key?.privateKey as never, header, payload);
    await h.security.store.recordIssued({
      jti: payload.jti as string,
      subject: 'app',
      clientId: 'app',
      fingerprint: fingerprintOf(token),
      issuedAt: now,
      expiresAt: now + 600,
    });
    return token;
  }

  function freshClaims(): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: 'https://fhir.example.test',
      aud: 'https://fhir.example.test/r4',
      sub: 'app',
      client_id: 'app',
      scope: 'system/*.*',
      jti: randomUUID(),
      iat: now,
      exp: now + 600,
      client_addr: '127.0.0.1',
    };
  }

  async function assertRevoked(token: string) {
    assertInvalidToken(await h.get(READ, token), 'token revoked');
  }

  it('accepts an issued token (control case)', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const response = await h.get(READ, token);
    assert.equal(response.status, 200, response.text);
    assert.equal(JSON.parse(response.text).id, 'obs-p1');
  });

  it('accepts a token built by the matrix helper with nothing changed (control case)', async () => {
    const token = await serverSigned(() => undefined);
    assert.equal((await h.get(READ, token)).status, 200);
  });

  it('refuses a request without a token', async () => {
    assertInvalidToken(await h.get(READ), 'no bearer token');
  });

  it('serves the CapabilityStatement without a token, and nothing else on that path', async () => {
    const metadata = await h.get('/r4/metadata');
    assert.equal(metadata.status, 200);
    assert.equal(JSON.parse(metadata.text).resourceType, 'CapabilityStatement');
    assertInvalidToken(await h.post('/r4/metadata', { body: '' }), 'no bearer token');
    assertInvalidToken(await h.get('/r4/Observation/metadata-x'), 'no bearer token');
  });

  it('refuses a malformed Authorization header', async () => {
    const response = await h.post(READ, { method: 'GET', headers: { Authorization: 'Bearer a b c' } });
    assertInvalidToken(response, 'no bearer token');
  });

  it('refuses alg: none', async () => {
    const token = unsigned({ alg: 'none', typ: 'at+jwt' }, freshClaims());
    assertInvalidToken(await h.get(READ, token), 'token invalid');
  });

  it('refuses alg: none carrying the jti of an issued token, and revokes that token', async () => {
    const issued = await h.token('app', 'user/Observation.rs');
    const forged = unsigned(
      { alg: 'none', typ: 'at+jwt' },
      { ...split(issued).payload, scope: 'system/*.*' },
    );
    assertInvalidToken(await h.get(READ, forged), 'token invalid');
    await assertRevoked(issued);
  });

  it('refuses HMAC signed with the public key', async () => {
    const jwk = h.security.key?.publicJwk as { x: string };
    const pem = h.security.key?.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    for (const secret of [pem, Buffer.from(jwk.x, 'base64url'), JSON.stringify(h.security.key?.publicJwk)]) {
      const token = hmacSigned(
        { alg: 'HS256', typ: 'at+jwt', kid: h.security.key?.kid },
        freshClaims(),
        secret,
      );
      assertInvalidToken(await h.get(READ, token), 'token invalid');
    }
  });

  it('refuses a token signed with another key under the server kid', async () => {
    const token = signedWith(
      attackerKey('ed25519'),
      { alg: 'EdDSA', typ: 'at+jwt', kid: h.security.key?.kid },
      freshClaims(),
    );
    assertInvalidToken(await h.get(READ, token), 'token invalid');
  });

  it('refuses an edited payload, revokes the jti and audits the tampering', async () => {
    const issued = await h.token('app', 'user/Observation.rs');
    const { payload } = split(issued);
    const edited = withPayload(issued, { ...payload, scope: 'system/*.*' });
    assertInvalidToken(await h.get(READ, edited), 'token invalid');
    await assertRevoked(issued);
    const tampered = h.audit.ofType('token_tampered');
    assert.equal(tampered.length, 1);
    assert.equal(tampered[0]?.jti, payload.jti);
    assert.equal(h.audit.ofType('token_revoked')[0]?.reason, 'tampered');
  });

  it('refuses an expired token', async () => {
    h.clockOffsetMs = -20 * 60_000;
    const token = await h.token('app', 'user/Observation.rs');
    h.clockOffsetMs = 0;
    assertInvalidToken(await h.get(READ, token), 'token expired');
  });

  it('accepts its own token until exp and not one second longer: no clock leeway (issue 15)', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const exp = split(token).payload.exp as number;
    // The whole runtime reads one clock; move it to just before exp, then one second past it.
    h.clockOffsetMs = exp * 1000 - Date.now() - 500;
    assert.equal((await h.get(READ, token)).status, 200);
    h.clockOffsetMs = exp * 1000 - Date.now() + 1000;
    assertInvalidToken(await h.get(READ, token), 'token expired');
  });

  it('refuses a server-signed token 10 s past its exp, well within the clock skew', async () => {
    const expired = await serverSigned((_, p) => {
      p.exp = Math.floor(Date.now() / 1000) - 10;
    });
    assertInvalidToken(await h.get(READ, expired), 'token expired');
  });

  it('refuses a token whose nbf is in the future', async () => {
    const token = await serverSigned((_, p) => {
      p.nbf = Math.floor(Date.now() / 1000) + 120;
    });
    assertInvalidToken(await h.get(READ, token), 'token invalid');
  });

  it('refuses a wrong iss', async () => {
    const token = await serverSigned((_, p) => {
      p.iss = 'https://evil.example.test';
    });
    assertInvalidToken(await h.get(READ, token), 'token invalid');
  });

  it('refuses a wrong aud', async () => {
    const token = await serverSigned((_, p) => {
      p.aud = 'https://fhir.example.test/stu3';
    });
    assertInvalidToken(await h.get(READ, token), 'token invalid');
  });

  it('refuses a wrong typ (an ID token or a plain JWT is not an access token, RFC 9068 §4)', async () => {
    for (const typ of ['JWT', 'id_token+jwt']) {
      const token = await serverSigned((header) => {
        header.typ = typ;
      });
      assertInvalidToken(await h.get(READ, token), 'token invalid');
    }
    const untyped = await serverSigned((header) => {
      delete header.typ;
    });
    assertInvalidToken(await h.get(READ, untyped), 'token invalid');
  });

  it('refuses a token signed with the server key but never issued', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...freshClaims(), iat: now };
    const token = signedWith(h.security.key?.privateKey as never, { alg: 'EdDSA', typ: 'at+jwt' }, claims);
    assertInvalidToken(await h.get(READ, token), 'token invalid');
  });

  it('refuses a revoked token', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const revoke = await h.post('/auth/revoke', {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic('app', 'app-secret'),
      },
      body: form({ token }),
    });
    assert.equal(revoke.status, 200);
    await assertRevoked(token);
  });

  it('refuses a token revoked, superseded or expired after it was already accepted once', async () => {
    const revoked = await h.token('app', 'user/Observation.rs');
    assert.equal((await h.get(READ, revoked)).status, 200);
    await h.security.store.revoke(
      split(revoked).payload.jti as string,
      'test',
      Math.floor(Date.now() / 1000) + 600,
    );
    await assertRevoked(revoked);
    const older = await h.token('other-app', 'user/Observation.read');
    assert.equal((await h.get(READ, older)).status, 200);
    await h.token('other-app', 'user/Observation.read');
    assertInvalidToken(await h.get(READ, older), 'token superseded by a newer one');
    const expiring = await h.token('app', 'user/Observation.rs');
    assert.equal((await h.get(READ, expiring)).status, 200);
    h.clockOffsetMs = 11 * 60_000;
    assertInvalidToken(await h.get(READ, expiring), 'token expired');
  });

  it('refuses a token superseded by a newer one for the same subject and client', async () => {
    const older = await h.token('app', 'user/Observation.rs');
    const newer = await h.token('app', 'user/Observation.rs');
    assertInvalidToken(await h.get(READ, older), 'token superseded by a newer one');
    assert.equal((await h.get(READ, newer)).status, 200);
    assert.deepEqual(
      h.audit.ofType('token_superseded').map((e) => e.jti),
      [split(older).payload.jti],
    );
  });

  it('does not supersede the token of another client', async () => {
    const mine = await h.token('app', 'user/Observation.read');
    await h.token('other-app', 'user/Observation.read');
    assert.equal((await h.get(READ, mine)).status, 200);
  });

  it('refuses a token from another address, revokes it and blocks that address', async () => {
    const token = await h.token('app', 'user/Observation.rs', '127.0.0.1');
    assertInvalidToken(await h.get(READ, token, '127.0.0.2'), 'token used from another address');
    // The rightful holder must get a new token as well: the old one is revoked.
    await assertRevoked(token);
    const fresh = await h.token('app', 'user/Observation.rs', '127.0.0.1');
    assertInvalidToken(await h.get(READ, fresh, '127.0.0.2'), 'address blocked');
    const blockedToken = await h.post('/auth/token', {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic('app', 'app-secret'),
      },
      body: form({ grant_type: 'client_credentials' }),
      localAddress: '127.0.0.2',
    });
    assert.equal(blockedToken.status, 403);
    assert.ok(Number(blockedToken.headers['retry-after']) > 0);
    assert.equal((await h.get(READ, fresh, '127.0.0.1')).status, 200);
    assert.equal(h.audit.ofType('address_mismatch')[0]?.address, '127.0.0.2');
    assert.equal(h.audit.ofType('address_blocked')[0]?.reason, 'address mismatch');
  });

  it('refuses a blocked address whatever it presents: a token verified before, none, a malformed one', async () => {
    const token = await h.token('app', 'user/Observation.rs', '127.0.0.1');
    const other = await h.token('other-app', 'user/Observation.read', '127.0.0.1');
    assert.equal((await h.get(READ, other, '127.0.0.1')).status, 200, 'verified once, so cached');
    assertInvalidToken(await h.get(READ, token, '127.0.0.2'), 'token used from another address');
    assertInvalidToken(await h.get(READ, other, '127.0.0.2'), 'address blocked');
    assertInvalidToken(await h.get(READ, undefined, '127.0.0.2'), 'address blocked');
    assertInvalidToken(await h.get(READ, 'not-a-jwt', '127.0.0.2'), 'address blocked');
    assert.equal((await h.get(READ, other, '127.0.0.1')).status, 200, 'the bound address is not blocked');
    assert.equal(h.audit.ofType('address_blocked').length, 4, 'the block and three refusals are audited');
  });

  it('accepts a token from any address when address binding is off (third address, own harness)', async () => {
    const open = await startHarness({ addressBinding: { enabled: false, blockSeconds: 60 } });
    try {
      const token = await open.token('app', 'user/Observation.rs', '127.0.0.1');
      assert.equal(split(token).payload.client_addr, undefined);
      assert.equal((await open.get(READ, token, '127.0.0.3')).status, 200);
    } finally {
      await open.close();
    }
  });

  it('refuses a copy with edited claims re-signed with another key, and revokes the original', async () => {
    const issued = await h.token('app', 'user/Observation.rs');
    const { header, payload } = split(issued);
    const copy = signedWith(attackerKey('ed25519'), header, {
      ...payload,
      scope: 'system/*.*',
      exp: (payload.exp as number) + 3600,
    });
    assertInvalidToken(await h.get(READ, copy), 'token invalid');
    await assertRevoked(issued);
    assert.equal(h.audit.ofType('token_tampered')[0]?.jti, payload.jti);
  });

  it('refuses a copy with a malleated signature encoding, and revokes the original', async () => {
    const issued = await h.token('app', 'user/Observation.rs');
    const copy = malleateEncoding(issued);
    assert.notEqual(copy, issued);
    assert.deepEqual(
      Buffer.from(copy.split('.')[2] as string, 'base64url'),
      Buffer.from(issued.split('.')[2] as string, 'base64url'),
    );
    assertInvalidToken(await h.get(READ, copy), 'token invalid');
    await assertRevoked(issued);
    assert.equal(h.audit.ofType('token_tampered').length, 1);
  });

  it('refuses v1 scope escalation: read scope, create request', async () => {
    const token = await h.token('app', 'user/Observation.read');
    const response = await h.post('/r4/Observation', {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
      body: '{"resourceType":"Observation"}',
    });
    assertInsufficientScope(response, 'patient/Observation.c user/Observation.c system/Observation.c');
    assert.equal(h.audit.ofType('scope_denied')[0]?.interaction, 'create');
  });

  it('refuses v2 scope escalation: search-only scope, read request', async () => {
    const token = await h.token('app', 'user/Observation.s');
    assert.equal((await h.get('/r4/Observation', token)).status, 200);
    assertInsufficientScope(
      await h.get(READ, token),
      'patient/Observation.r user/Observation.r system/Observation.r',
    );
  });

  it('refuses v2 scope escalation: rs scope, delete on another type', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const response = await h.post('/r4/Patient/p1', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}` },
    });
    assertInsufficientScope(response, 'patient/Patient.d user/Patient.d system/Patient.d');
  });

  it('refuses at the token endpoint a request of which no scope is covered by the registration', async () => {
    const response = await h.post('/auth/token', {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic('other-app', 'app-secret'),
      },
      body: form({ grant_type: 'client_credentials', scope: 'user/Observation.cruds system/Observation.r' }),
    });
    assert.equal(response.status, 400);
    assert.equal(JSON.parse(response.text).error, 'invalid_scope');
  });

  it("refuses another patient's data to a patient-scoped token", async () => {
    const response = await h.post('/auth/token', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form({
        grant_type: 'password',
        client_id: 'portal',
        username: 'alice',
        password: 'alice-password',
      }),
    });
    const { access_token: token, patient } = JSON.parse(response.text) as {
      access_token: string;
      patient: string;
    };
    assert.equal(patient, 'p1');
    assert.equal((await h.get('/r4/Observation/obs-p1', token)).status, 200);
    const other = await h.get('/r4/Observation/obs-p2', token);
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.text).issue[0].code, 'forbidden');
  });
});

describe('token matrix (built-in issuer, ES256)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ algorithm: 'ES256' });
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses a copy with the (r, n - s) malleated ECDSA signature, which the key itself accepts', async () => {
    const issued = await h.token('app', 'user/Observation.rs');
    assert.equal(split(issued).header.alg, 'ES256');
    const copy = malleateEcdsa(issued);
    const [header, payload, signature] = copy.split('.') as [string, string, string];
    // The malleated signature is mathematically valid: only the fingerprint tells the copy apart.
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: h.security.key?.publicKey as never, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    assert.equal(valid, true);
    assertInvalidToken(await h.get(READ, copy), 'token invalid');
    assertInvalidToken(await h.get(READ, issued), 'token revoked');
    assert.equal(h.audit.ofType('token_tampered').length, 1);
  });
});
