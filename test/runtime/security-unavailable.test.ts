/**
 * A token store that cannot answer fails every token check closed (issue 8): protected FHIR requests
 * get 503 with a transient OperationOutcome and Retry-After (never 200), the token, revocation and
 * introspection endpoints a 503 `temporarily_unavailable`, readiness 503 naming the token store;
 * public documents and liveness still answer. With Redis, requests succeed again once Redis is back,
 * without a restart of the server. In process (`startProject`); test/e2e/security-redis.test.ts does
 * the same against an installed project.
 */
import assert from 'node:assert/strict';
import { MemoryAuditLog } from '../../src/runtime/security/audit';
import { scopeDecision } from '../../src/runtime/security/guard';
import { createSecurity } from '../../src/runtime/security/index';
import { SqliteTokenStore } from '../../src/runtime/security/sqlite-token-store';
import { TokenStoreUnavailableError } from '../../src/runtime/security/token-store';
import { eventually } from '../support/eventually';
import { startRedis, type TestRedis } from '../support/redis';
import { type Reply, startTestProject, type TestProject } from './fixtures/security/project';

function assertUnavailable(reply: Reply): void {
  assert.equal(reply.status, 503, reply.text);
  assert.equal(reply.headers.get('retry-after'), '5');
  assert.match(reply.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  assert.equal(reply.body.resourceType, 'OperationOutcome');
  assert.equal(reply.body.issue[0].code, 'transient');
}

function assertOAuthUnavailable(reply: Reply): void {
  assert.equal(reply.status, 503, reply.text);
  assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'error_description']);
  assert.equal(reply.body.error, 'temporarily_unavailable');
  assert.equal(reply.headers.get('cache-control'), 'no-store');
  assert.ok(Number(reply.headers.get('retry-after')) >= 1);
}

interface Kind {
  name: string;
  env(): NodeJS.ProcessEnv;
  /** Makes the project's token store unreachable. */
  breakStore(project: TestProject): Promise<void>;
}

describe('token store unavailable: token checks fail closed', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  const kinds: Kind[] = [
    {
      name: 'Redis stopped',
      env: () => ({ TOKEN_STORE: 'redis', TOKEN_STORE_URL: redis.url }),
      breakStore: () => redis.stop(),
    },
    {
      // What SQLite throws (locked beyond the busy timeout, I/O error, closed) takes the same path.
      name: 'SQLite closed under the server',
      env: () => ({}),
      breakStore: async (project) => {
        await project.project.security?.store.close();
      },
    },
  ];

  for (const kind of kinds) {
    describe(kind.name, () => {
      let s: TestProject;
      let token: string;
      before(async () => {
        await redis.start();
        s = await startTestProject(kind.env());
        token = await s.token();
        assert.equal((await s.call('/r4/Patient', token)).status, 200);
        assert.equal((await s.call('/health/ready')).status, 200);
        await kind.breakStore(s);
      });
      after(async () => {
        await s?.close();
        await redis.start();
      });

      it('answers protected requests 503 with a transient OperationOutcome, never 200', async () => {
        for (let i = 0; i < 5; i += 1) assertUnavailable(await s.call('/r4/Patient', token));
        assertUnavailable(await s.call('/r4/Patient/p1', token));
        assertUnavailable(await s.call('/r4/Patient'));
      });

      it('answers the token, revocation and introspection endpoints 503 temporarily_unavailable', async () => {
        assertOAuthUnavailable(await s.form('/auth/token', { grant_type: 'client_credentials' }));
        assertOAuthUnavailable(await s.form('/auth/revoke', { token }));
        assertOAuthUnavailable(await s.form('/auth/introspect', { token }));
      });

      it('is not ready (naming the token store) but alive, and still serves public documents', async () => {
        const ready = await s.call('/health/ready');
        assert.equal(ready.status, 503);
        assert.deepEqual(ready.body, {
          status: 'fail',
          checks: { resourceStore: 'pass', tokenStore: 'fail' },
        });
        assert.equal((await s.call('/health/live')).status, 200);
        assert.equal((await s.call('/r4/metadata')).status, 200);
        assert.equal((await s.call('/.well-known/smart-configuration')).status, 200);
      });
    });
  }

  describe('Redis back', () => {
    it('serves again without a restart; tokens Redis forgot are refused, new ones accepted', async () => {
      const s = await startTestProject({ TOKEN_STORE: 'redis', TOKEN_STORE_URL: redis.url });
      try {
        const before = await s.token();
        await redis.stop();
        assertUnavailable(await s.call('/r4/Patient', before));
        await redis.start();
        await eventually(async () => assert.equal((await s.call('/health/ready')).status, 200));
        // This Redis keeps nothing across a restart: the old token is unknown, so refused (fail closed).
        const old = await s.call('/r4/Patient', before);
        assert.equal(old.status, 401, old.text);
        assert.equal((await s.call('/r4/Patient', await s.token())).status, 200);
      } finally {
        await s.close();
      }
    });
  });
});

describe('scope decisions without the token store', () => {
  it('fail with 503 when a denial cannot be counted, instead of a 500 or an answer', async () => {
    const store = new SqliteTokenStore({ file: ':memory:' });
    store.increment = async () => {
      throw new TokenStoreUnavailableError('down');
    };
    const security = await createSecurity(
      { issuer: 'https://x.test' },
      { store, audit: new MemoryAuditLog() },
    );
    try {
      const failures: number[] = [];
      const decide = scopeDecision(security.enforcer, (status) => {
        failures.push(status);
        return new Error(String(status));
      });
      const principal = { subject: 's', clientId: 'c', scopes: ['system/Patient.r'], tokenId: 't' };
      await assert.rejects(decide({ interaction: 'delete', resourceType: 'Patient' }, { principal }), /503/);
      assert.deepEqual(failures, [503]);
      assert.ok(await decide({ interaction: 'read', resourceType: 'Patient' }, { principal }));
    } finally {
      await security.close();
    }
  });
});
