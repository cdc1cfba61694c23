import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createAuditLog, MemoryAuditLog } from '../../src/runtime/security/audit';
import { resolveSecurityConfig, securityWarnings } from '../../src/runtime/security/config';
import { SecurityConfigError } from '../../src/runtime/security/errors';
import { authorizeHook, scopeDecision } from '../../src/runtime/security/guard';
import { createSecurity } from '../../src/runtime/security/index';
import { loadOrCreateSigningKey } from '../../src/runtime/security/keys';
import { hashSecret, verifySecret } from '../../src/runtime/security/secrets';
import { CHEAP, type Harness, startHarness } from './fixtures/security/harness';

/** Abuse revocation, the per-token rate limit, keys and state across restarts, config checks, audit log. */
const READ = '/r4/Observation/obs-p1';
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-sec-rt-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('abuse: automatic revocation', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('revokes a token after repeated scope denials, with an audit event', async () => {
    h = await startHarness({ abuse: { scopeDenials: 3, rateLimitTrips: 3, windowSeconds: 60 } });
    const token = await h.token('app', 'user/Observation.s');
    assert.equal((await h.get(READ, token)).status, 403);
    assert.equal((await h.get(READ, token)).status, 403);
    const third = await h.get(READ, token);
    assert.equal(third.status, 401);
    assert.match(String(third.headers['www-authenticate']), /error="invalid_token"/);
    assert.equal((await h.get('/r4/Observation', token)).status, 401);
    assert.equal(h.audit.ofType('scope_denied').length, 3);
    assert.match(String(h.audit.ofType('token_revoked')[0]?.reason), /^abuse: 3 scope denials/);
  });

  it('answers 429 with Retry-After beyond the per-token limit, then revokes after repeated trips', async () => {
    h = await startHarness({
      apiRateLimit: { limit: 2, windowSeconds: 60 },
      abuse: { scopeDenials: 10, rateLimitTrips: 2, windowSeconds: 60 },
    });
    const token = await h.token('app', 'user/Observation.rs');
    assert.equal((await h.get(READ, token)).status, 200);
    assert.equal((await h.get(READ, token)).status, 200);
    const limited = await h.get(READ, token);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(JSON.parse(limited.text).issue[0].code, 'throttled');
    assert.equal((await h.get(READ, token)).status, 429);
    const revoked = await h.get(READ, token);
    assert.equal(revoked.status, 401);
    assert.match(String(revoked.headers['www-authenticate']), /error_description="token revoked"/);
    assert.equal(h.audit.ofType('rate_limited').length, 2);
  });
});

describe('keys and token state across restarts', () => {
  it('keeps the signing key: the same kid after a restart', async () => {
    const file = path.join(tempDir(), 'keys', 'signing.json');
    const first = await loadOrCreateSigningKey(file, 'EdDSA');
    const second = await loadOrCreateSigningKey(file, 'EdDSA');
    assert.equal(second.kid, first.kid);
    assert.deepEqual(second.publicJwk, first.publicJwk);
  });

  it('refuses a key file of another algorithm than the pinned one', async () => {
    const file = path.join(tempDir(), 'signing.json');
    await loadOrCreateSigningKey(file, 'EdDSA');
    await assert.rejects(loadOrCreateSigningKey(file, 'ES256'), SecurityConfigError);
  });

  it('refuses an unreadable key file with a clear error', async () => {
    const file = path.join(tempDir(), 'signing.json');
    writeFileSync(file, 'not json');
    await assert.rejects(loadOrCreateSigningKey(file, 'EdDSA'), /keyFile: cannot read the signing key/);
  });

  it('accepts a token issued before a restart, and keeps refusing one revoked before it', async () => {
    const dir = tempDir();
    const secretHash = await hashSecret('s', CHEAP);
    const options = {
      issuer: 'https://fhir.example.test',
      keyFile: path.join(dir, 'key.json'),
      clients: [
        { clientId: 'kept', secretHash, scopes: ['system/*.*'] },
        { clientId: 'revoker', secretHash, scopes: ['system/*.*'] },
      ],
    };
    const deps = { stateFile: path.join(dir, 'state.sqlite'), audit: new MemoryAuditLog() };
    const first = await createSecurity(options, deps);
    const [kept, revoker] = first.config.clients as [never, never];
    const keptToken = await first.tokenService?.clientCredentials(kept, undefined, '10.0.0.1');
    const revokedToken = await first.tokenService?.clientCredentials(revoker, undefined, '10.0.0.1');
    await first.tokenService?.revoke(revokedToken?.access_token as string, revoker);
    await first.close();
    const second = await createSecurity(options, deps);
    try {
      assert.equal((await second.verifier.verify(keptToken?.access_token as string)).ok, true);
      assert.deepEqual(await second.verifier.verify(revokedToken?.access_token as string), {
        ok: false,
        reason: 'revoked',
      });
      await second.tokenService?.clientCredentials(kept, undefined, '10.0.0.1');
      assert.deepEqual(await second.verifier.verify(keptToken?.access_token as string), {
        ok: false,
        reason: 'superseded',
      });
    } finally {
      await second.close();
    }
  });
});

describe('security config', () => {
  const base = { issuer: 'https://fhir.example.test' };

  it('applies the defaults SECURITY.md asks for', () => {
    const config = resolveSecurityConfig(base);
    assert.equal(config.tokenLifetimeSeconds, 600);
    assert.equal(config.algorithm, 'EdDSA');
    assert.equal(config.addressBinding.enabled, true);
    assert.equal(config.audience, base.issuer);
    assert.ok(config.clockSkewSeconds <= 60);
  });

  it('warns about settings that weaken security', () => {
    const weak = resolveSecurityConfig({
      ...base,
      addressBinding: { enabled: false, blockSeconds: 0 },
      users: [{ username: 'u', passwordHash: 'scrypt$1024$8$1$AA$AA', scopes: [] }],
    });
    const warnings = securityWarnings(weak);
    assert.equal(warnings.length, 4);
    assert.match(warnings.join('\n'), /address binding is off/);
    assert.match(warnings.join('\n'), /password grant is on/);
    const strong = resolveSecurityConfig({
      ...base,
      keyFile: '/k',
      clients: [{ clientId: 'c', scopes: [] }],
    });
    assert.deepEqual(securityWarnings(strong), []);
  });

  it('refuses a clock skew beyond 60 s, long-lived tokens, HMAC or none for external issuers', () => {
    assert.throws(() => resolveSecurityConfig({ ...base, clockSkewSeconds: 61 }), /clockSkewSeconds/);
    assert.throws(
      () => resolveSecurityConfig({ ...base, tokenLifetimeSeconds: 86400 }),
      /tokenLifetimeSeconds/,
    );
    assert.throws(() => resolveSecurityConfig({ ...base, algorithm: 'HS256' as never }), /algorithm/);
    for (const alg of ['none', 'HS256']) {
      const external = {
        issuer: 'https://idp.example',
        jwksUrl: 'https://idp.example/jwks',
        algorithms: [alg],
      };
      assert.throws(() => resolveSecurityConfig({ ...base, external }), /external.algorithms/);
    }
    assert.throws(
      () => resolveSecurityConfig({ ...base, external: { issuer: 'https://idp.example' } }),
      /jwksUrl or introspection/,
    );
    assert.throws(() => resolveSecurityConfig({ issuer: 'not a url' }), /issuer/);
    const plain = { clientId: 'c', secretHash: 'hunter2', scopes: [] };
    assert.throws(
      () => resolveSecurityConfig({ ...base, clients: [plain] }),
      /c: secretHash is not a scrypt hash/,
    );
    const user = { username: 'u', passwordHash: 'hunter2', scopes: [] };
    assert.throws(
      () => resolveSecurityConfig({ ...base, users: [user] }),
      /u: passwordHash is not a scrypt hash/,
    );
  });
});

describe('secrets', () => {
  it('verifies the right secret only, and never a malformed hash', async () => {
    const hash = await hashSecret('correct horse', CHEAP);
    assert.match(hash, /^scrypt\$1024\$8\$1\$/);
    assert.equal(await verifySecret('correct horse', hash), true);
    assert.equal(await verifySecret('correct horsf', hash), false);
    assert.equal(await verifySecret('correct horse', 'plain-text-secret'), false);
    assert.equal(await verifySecret('x', 'scrypt$0$8$1$AA$AA'), false);
  });
});

describe('audit log', () => {
  it('writes one JSON line per event on its own stream, with the jti and never the token', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const audit = createAuditLog(stream);
    audit.record({ type: 'token_revoked', jti: 'j1', subject: 'alice', clientId: 'app', reason: 'tampered' });
    audit.record({ type: 'address_blocked', address: '10.0.0.2' });
    await new Promise((resolve) => setImmediate(resolve));
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(events.length, 2);
    assert.equal(events[0]?.event, 'token_revoked');
    assert.equal(events[0]?.jti, 'j1');
    assert.equal(events[0]?.log, 'audit');
    assert.equal(typeof events[0]?.time, 'string');
    assert.equal(events[1]?.address, '10.0.0.2');
  });

  it('appends to a file', async () => {
    const file = path.join(tempDir(), 'logs', 'audit.log');
    const audit = createAuditLog(file);
    audit.record({ type: 'scope_denied', jti: 'j2', interaction: 'delete', resourceType: 'Patient' });
    for (let i = 0; i < 50 && !readable(file).includes('scope_denied'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const event = JSON.parse(readable(file).trim()) as Record<string, unknown>;
    assert.equal(event.event, 'scope_denied');
    assert.equal(event.resourceType, 'Patient');
  });
});

function readable(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('authorize hook for the framework-free handlers', () => {
  class Refusal extends Error {
    constructor(
      readonly status: number,
      readonly headers: Record<string, string>,
    ) {
      super(`refused ${status}`);
    }
  }
  const fail = (status: 401 | 403 | 503, _diagnostics: string, headers: Record<string, string>) =>
    new Refusal(status, headers);
  const principal = (scopes: string[], patient?: string) => ({
    subject: 's',
    clientId: 'c',
    scopes,
    tokenId: 't',
    ...(patient ? { patient } : {}),
  });

  it('allows what the scopes allow and tells patient access apart', async () => {
    const security = await createSecurity(
      { issuer: 'https://x.test' },
      { stateFile: ':memory:', audit: new MemoryAuditLog() },
    );
    try {
      const hook = scopeDecision(security.enforcer, fail);
      assert.deepEqual(
        await hook(
          { interaction: 'read', resourceType: 'Observation' },
          { principal: principal(['user/Observation.r']) },
        ),
        { allowed: true, access: 'full' },
      );
      assert.deepEqual(
        await hook(
          { interaction: 'search-type', resourceType: 'Observation' },
          { principal: principal(['patient/*.rs'], 'p1') },
        ),
        { allowed: true, access: 'patient' },
      );
      assert.equal(await hook({ interaction: 'capabilities' }, {}), undefined);
      assert.equal(await hook({ interaction: 'transaction' }, { principal: principal([]) }), undefined);
    } finally {
      await security.close();
    }
  });

  it('keeps a patient-scoped token to its own Patient', async () => {
    const security = await createSecurity(
      { issuer: 'https://x.test' },
      { stateFile: ':memory:', audit: new MemoryAuditLog() },
    );
    try {
      const hook = authorizeHook(security.enforcer, fail);
      const alice = { principal: principal(['patient/Patient.r'], 'p1') };
      assert.equal(await hook({ interaction: 'read', resourceType: 'Patient', id: 'p1' }, alice), undefined);
      await assert.rejects(
        hook({ interaction: 'read', resourceType: 'Patient', id: 'p2' }, alice),
        (error: Refusal) => error.status === 403,
      );
      const staff = { principal: principal(['user/Patient.r']) };
      assert.equal(await hook({ interaction: 'read', resourceType: 'Patient', id: 'p2' }, staff), undefined);
    } finally {
      await security.close();
    }
  });

  it('refuses with 403 and the insufficient_scope challenge, 401 without a principal', async () => {
    const security = await createSecurity(
      { issuer: 'https://x.test' },
      { stateFile: ':memory:', audit: new MemoryAuditLog() },
    );
    try {
      const hook = authorizeHook(security.enforcer, fail);
      const denied = hook(
        { interaction: 'delete', resourceType: 'Patient' },
        { principal: principal(['user/Patient.rs']) },
      );
      await assert.rejects(
        denied,
        (error: Refusal) =>
          error.status === 403 && /insufficient_scope/.test(error.headers['WWW-Authenticate'] ?? ''),
      );
      await assert.rejects(
        hook({ interaction: 'read', resourceType: 'Patient' }, {}),
        (error: Refusal) => error.status === 401,
      );
      // patient/ scopes without a patient in context allow nothing.
      await assert.rejects(
        hook(
          { interaction: 'read', resourceType: 'Patient' },
          { principal: principal(['patient/Patient.r']) },
        ),
        (error: Refusal) => error.status === 403,
      );
      // System history spans every type: a type-specific scope does not cover it.
      await assert.rejects(
        hook({ interaction: 'history-system' }, { principal: principal(['user/Patient.rs']) }),
        (error: Refusal) => error.status === 403,
      );
      assert.equal(
        await hook({ interaction: 'history-system' }, { principal: principal(['user/*.rs']) }),
        undefined,
      );
    } finally {
      await security.close();
    }
  });
});
