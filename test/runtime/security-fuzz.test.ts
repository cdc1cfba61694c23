import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bearerToken } from '../../src/runtime/security/bearer';
import { type Harness, startHarness } from './fixtures/security/harness';
import { basic } from './fixtures/security/http';

/**
 * Generated input against the security layer: no input crashes it or gets a 5xx, no altered token is
 * ever accepted, every refusal on a FHIR route is an OperationOutcome, Object.prototype stays clean.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const READ = '/r4/Observation/obs-p1';
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

function assertPrototypeClean(): void {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

describe('security fuzzing', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      tokenRateLimit: { limit: 100_000, windowSeconds: 60 },
      abuse: { scopeDenials: 1e9, rateLimitTrips: 1e9, windowSeconds: 60 },
    });
  });
  after(async () => {
    await h.close();
    assertPrototypeClean();
  });

  it('reads a bearer token only in the RFC 6750 §2.1 form (10,000 headers)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `Bearer ${s}`),
          fc.string().map((s) => `bearer  ${s} `),
        ),
        (header) => {
          const token = bearerToken(header);
          assert.ok(token === undefined || B64TOKEN.test(token));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('never accepts, and never throws on, arbitrary token-shaped strings (10,000 tokens)', async () => {
    const segment = fc.oneof(
      fc.base64String(),
      fc.string(),
      fc.constant('eyJhbGciOiJub25lIn0'),
      fc.json().map((j) => Buffer.from(j).toString('base64url')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), async (parts) => {
        const result = await h.security.verifier.verify(parts.join('.'));
        assert.equal(result.ok, false);
      }),
      { numRuns: 10_000 },
    );
    assertPrototypeClean();
  });

  it('never accepts a token with any one character changed (2,000 mutations)', async () => {
    const token = await h.token('app', 'user/Observation.rs');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...alphabet),
        async (index, char) => {
          fc.pre(token[index] !== char);
          const mutated = token.slice(0, index) + char + token.slice(index + 1);
          assert.equal((await h.security.verifier.verify(mutated)).ok, false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('answers every generated Authorization header on a FHIR route with 401 and an OperationOutcome (500 requests)', async () => {
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 200 }).map((s) => `Bearer ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        const safe = authorization.replace(/[^\x20-\x7e]/g, '');
        const response = await h.post(READ, { method: 'GET', headers: { Authorization: safe } });
        assert.equal(response.status, 401, response.text);
        assert.equal(JSON.parse(response.text).resourceType, 'OperationOutcome');
      }),
      { numRuns: 500 },
    );
  });

  it('never answers 5xx on the auth endpoints to generated form bodies (3 x 100 requests)', async () => {
    const field = fc.constantFrom(
      'grant_type',
      'scope',
      'token',
      'client_id',
      'client_secret',
      'username',
      'password',
      '__proto__',
      'constructor[prototype][polluted]',
      'token_type_hint',
      'client_assertion',
      'client_assertion_type',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom('client_credentials', 'password', 'app', 'app-secret', 'system/*.*'),
      // Client assertions (RFC 7523): the type, and JWT-shaped garbage naming a client.
      fc.constantFrom(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        'e30.e30.',
        'eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJhcHAifQ.AAAA',
        'eyJhbGciOiJub25lIn0.eyJpc3MiOiJhcHAiLCJzdWIiOiJhcHAifQ.',
      ),
    );
    const body = fc
      .array(fc.tuple(field, value), { maxLength: 8 })
      .map((pairs) => new URLSearchParams(pairs).toString());
    const auth = fc.option(
      fc.constantFrom(basic('app', 'app-secret'), basic('app', 'nope'), 'Basic !!!', 'Basic '),
      { nil: undefined },
    );
    for (const endpoint of ['/auth/token', '/auth/revoke', '/auth/introspect']) {
      await fc.assert(
        fc.asyncProperty(body, auth, async (text, authorization) => {
          const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
          if (authorization) headers.Authorization = authorization;
          const response = await h.post(endpoint, { headers, body: text });
          assert.ok(response.status < 500, `${endpoint} ${text} -> ${response.status} ${response.text}`);
          assert.ok([200, 400, 401].includes(response.status), `${response.status}`);
        }),
        { numRuns: 100 },
      );
    }
    assertPrototypeClean();
  });
});
