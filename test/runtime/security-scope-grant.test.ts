import assert from 'node:assert/strict';
import { grantRequested } from '../../src/runtime/security/scope-grant';
import { type Harness, startHarness } from './fixtures/security/harness';
import { basic, form } from './fixtures/security/http';

/**
 * Requested scopes against registered ones (issue 15): granted when a registered scope covers them
 * (same context, type equal or `*`, permissions a subset; v1 `read` = `rs`, `write` = `cud`,
 * `*` = `cruds`), the rest left out, non-resource scopes ignored unless registered as they are.
 */
const TABLE: { registered: string[]; requested: string; granted: string[] }[] = [
  // v1 registration, v1 and v2 requests
  { registered: ['system/*.*'], requested: 'system/Patient.read', granted: ['system/Patient.read'] },
  { registered: ['system/*.*'], requested: 'system/Patient.rs', granted: ['system/Patient.rs'] },
  { registered: ['system/*.*'], requested: 'system/Observation.read', granted: ['system/Observation.read'] },
  { registered: ['system/*.*'], requested: 'system/*.cruds', granted: ['system/*.cruds'] },
  { registered: ['system/*.*'], requested: 'system/*.write', granted: ['system/*.write'] },
  { registered: ['system/*.read'], requested: 'system/Patient.s', granted: ['system/Patient.s'] },
  { registered: ['system/Patient.read'], requested: 'system/Patient.s', granted: ['system/Patient.s'] },
  { registered: ['system/Patient.read'], requested: 'system/Patient.c', granted: [] },
  { registered: ['system/Patient.read'], requested: 'system/Patient.rs', granted: ['system/Patient.rs'] },
  { registered: ['system/Patient.read'], requested: 'system/Patient.*', granted: [] },
  { registered: ['system/Patient.write'], requested: 'system/Patient.cud', granted: ['system/Patient.cud'] },
  { registered: ['system/Patient.write'], requested: 'system/Patient.r', granted: [] },
  // v2 registration, v1 requests and subsets
  { registered: ['system/Patient.rs'], requested: 'system/Patient.read', granted: ['system/Patient.read'] },
  { registered: ['system/Patient.cruds'], requested: 'system/Patient.*', granted: ['system/Patient.*'] },
  {
    registered: ['system/Patient.cud'],
    requested: 'system/Patient.write',
    granted: ['system/Patient.write'],
  },
  { registered: ['system/Patient.cruds'], requested: 'system/Patient.cd', granted: ['system/Patient.cd'] },
  { registered: ['system/Patient.rs'], requested: 'system/Patient.rsd', granted: [] },
  { registered: ['system/Patient.r'], requested: 'system/Patient.read', granted: [] },
  // wildcards: a registered type covers only itself, a requested `*` needs a registered `*`
  { registered: ['system/Patient.*'], requested: 'system/*.read', granted: [] },
  { registered: ['system/Patient.*'], requested: 'system/Observation.read', granted: [] },
  {
    registered: ['user/*.rs'],
    requested: 'user/*.r user/Encounter.s',
    granted: ['user/*.r', 'user/Encounter.s'],
  },
  // contexts never cover one another
  { registered: ['system/*.*'], requested: 'user/Patient.read', granted: [] },
  { registered: ['user/*.*'], requested: 'patient/Patient.read', granted: [] },
  // several registered scopes: each requested one needs one that covers it alone
  {
    registered: ['system/Patient.r', 'system/Patient.s'],
    requested: 'system/Patient.r system/Patient.s system/Patient.rs',
    granted: ['system/Patient.r', 'system/Patient.s'],
  },
  // mixed: the grantable ones are granted, the others left out
  {
    registered: ['system/Observation.rs', 'system/Patient.read'],
    requested: 'system/Patient.read system/Patient.write system/Observation.s system/Encounter.r',
    granted: ['system/Patient.read', 'system/Observation.s'],
  },
  // non-resource scopes: ignored unless registered as they are
  {
    registered: ['system/*.read'],
    requested: 'openid fhirUser launch/patient offline_access system/Patient.rs',
    granted: ['system/Patient.rs'],
  },
  {
    registered: ['system/*.read', 'offline_access'],
    requested: 'offline_access',
    granted: ['offline_access'],
  },
  // search-restricted v2 scopes (`?category=...`) cannot be enforced here, so they are never granted
  { registered: ['system/*.*'], requested: 'system/Observation.rs?category=laboratory', granted: [] },
  // repeated scopes are granted once
  {
    registered: ['system/*.*'],
    requested: 'system/Patient.r  system/Patient.r',
    granted: ['system/Patient.r'],
  },
];

describe('scope grants: registered scopes cover narrower requests', () => {
  for (const { registered, requested, granted } of TABLE) {
    it(`${registered.join(' ')} + "${requested}" grants ${granted.join(' ') || 'nothing'}`, () => {
      assert.deepEqual(grantRequested(requested, registered).granted, granted);
    });
  }

  it('grants every registered scope when none is asked for', () => {
    assert.deepEqual(grantRequested(undefined, ['system/*.read', 'openid']).granted, [
      'system/*.read',
      'openid',
    ]);
    assert.deepEqual(grantRequested('  ', ['system/*.read']).granted, ['system/*.read']);
  });
});

describe('scope grants at the token endpoint', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  async function ask(clientId: string, scope: string) {
    const response = await h.post('/auth/token', {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(clientId, 'app-secret'),
      },
      body: form({ grant_type: 'client_credentials', scope }),
    });
    return { status: response.status, body: JSON.parse(response.text) as Record<string, string> };
  }

  async function introspect(token: string) {
    const response = await h.post('/auth/introspect', {
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic('app', 'app-secret'),
      },
      body: form({ token }),
    });
    return JSON.parse(response.text) as { active: boolean; scope?: string };
  }

  it('grants system/Patient.read to a system/*.* client, and holds the token to it', async () => {
    const { status, body } = await ask('app', 'system/Patient.read');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'system/Patient.read');
    const token = body.access_token as string;
    assert.equal(
      JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).scope,
      body.scope,
    );
    assert.equal((await introspect(token)).scope, 'system/Patient.read');
    // The enforcer reads the granted set: Observation is not in it, though system/*.* would cover it.
    const observation = await h.get('/r4/Observation/obs-p1', token);
    assert.equal(observation.status, 403);
  });

  it('grants what it can of a mixed request and says so in the response, the claim and introspection', async () => {
    const { status, body } = await ask('other-app', 'user/Observation.read user/Observation.cruds openid');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'user/Observation.read');
    assert.equal((await introspect(body.access_token as string)).scope, 'user/Observation.read');
  });

  it('refuses with 400 invalid_scope a request of which nothing can be granted', async () => {
    for (const scope of ['user/Observation.cruds', 'system/Observation.read', 'openid launch/patient']) {
      const { status, body } = await ask('other-app', scope);
      assert.equal(status, 400, scope);
      assert.equal(body.error, 'invalid_scope');
    }
  });
});
