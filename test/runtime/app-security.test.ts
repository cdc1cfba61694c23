/**
 * The security wiring of a generated project's start (`startProject`), in process, with the real R4
 * binding: config and warnings, public and protected routes, scopes on `_include` targets and
 * transaction entries, and the patient-compartment guard on reads, searches (matches and includes)
 * and writes. The end-to-end version against an installed project is test/e2e/security.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningProject, startProject } from '../../src/runtime/app/run';
import { includedTypes, SECURITY_OFF_WARNING } from '../../src/runtime/app/security';
import { readSecuritySettings } from '../../src/runtime/app/security-config';
import type { VersionModule } from '../../src/runtime/app/types';
import { ConfigError } from '../../src/runtime/config';
import { hashSecret } from '../../src/runtime/security/secrets';
import type { ResourceService } from '../../src/runtime/service';
import { storeServices } from '../../src/runtime/store/store-service';
import { generatedBinding, generatedSearchTables } from './fixtures/generated';

const CHEAP = { N: 1024, r: 8, p: 1 };
const binding = generatedBinding('r4');
const SECRET = 'app-secret';

/** R4 over the store, and an Encounter search that returns `_include`d resources of its own choosing. */
const r4: VersionModule = {
  binding,
  basePath: '/r4',
  searchTables: generatedSearchTables('r4'),
  createServices: ({ store }) => {
    const services: Record<string, ResourceService> = {
      ...storeServices(store, ['Patient', 'Observation', 'Organization']),
    };
    services.Encounter = {
      search: () => ({
        match: [
          {
            resourceType: 'Encounter',
            id: 'e1',
            status: 'finished',
            class: { code: 'AMB' },
            subject: { reference: 'Patient/p1' },
          },
        ],
        include: [
          { resourceType: 'Patient', id: 'p1' },
          { resourceType: 'Patient', id: 'p2' },
          { resourceType: 'Organization', id: 'o1' },
        ],
        total: 1,
      }),
    };
    return services;
  },
};

/** A reply whose JSON body the tests inspect field by field. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
type Reply = { status: number; headers: Headers; body: any };

interface Started {
  project: RunningProject;
  dir: string;
  token(clientId: string, scope?: string): Promise<string>;
  call(pathname: string, token?: string, init?: RequestInit): Promise<Reply>;
  close(): Promise<void>;
}

async function start(security: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-app-sec-'));
  const secretHash = await hashSecret(SECRET, CHEAP);
  const config = {
    security: {
      clients: [
        { clientId: 'admin', secretHash, scopes: ['system/*.*'] },
        { clientId: 'obs', secretHash, scopes: ['user/Observation.rs', 'user/Encounter.rs'] },
        {
          clientId: 'p1-app',
          secretHash,
          scopes: ['patient/Observation.cruds', 'patient/Patient.rs', 'patient/Encounter.rs'],
          patient: 'p1',
        },
      ],
      ...security,
    },
  };
  writeFileSync(path.join(dir, 'fhirgen.config.json'), JSON.stringify(config));
  const project = await startProject({
    projectDir: dir,
    versions: [r4],
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      STORE: 'memory',
      LOG_LEVEL: 'silent',
      AUDIT_LOG: path.join(dir, 'audit.log'),
      ...env,
    },
  });
  const call = async (pathname: string, token?: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/fhir+json');
    const response = await fetch(`${project.url}${pathname}`, { ...init, headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    project,
    dir,
    call,
    async token(clientId, scope) {
      const response = await fetch(`${project.url}/auth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { access_token: string }).access_token;
    },
    async close() {
      await project.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function assertRefused(reply: Reply, status: number, error: string) {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.match(reply.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer .*error="${error}"`));
  assert.equal(reply.body?.resourceType, 'OperationOutcome');
}

describe('project security settings', () => {
  it('refuses unknown settings and a blanket-looking trustProxy value, naming them', () => {
    assert.throws(
      () => readSecuritySettings({ enable: true, transport: { trustProxy: 'any one' } }, {}, '/p'),
      (error: ConfigError) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.includes('"security.enable"')) &&
        error.problems.some((p) => p.includes('trustProxy')),
    );
  });

  it('reads the environment over the file, paths relative to the project', () => {
    const settings = readSecuritySettings(
      { enabled: true, transport: { mode: 'http', tls: { keyFile: 'k.pem', certFile: 'c.pem' } } },
      { SECURITY: 'off', TRANSPORT: 'https', TRUST_PROXY: 'loopback,10.0.0.0/8', REDIRECT_PORT: '8081' },
      '/project',
    );
    assert.equal(settings.enabled, false);
    assert.equal(settings.transport.mode, 'https');
    assert.deepEqual(settings.transport.trustProxy, ['loopback', '10.0.0.0/8']);
    assert.equal(settings.transport.redirectPort, 8081);
    assert.equal(settings.transport.tls?.keyFile, path.resolve('/project', 'k.pem'));
    assert.equal(settings.stateDir, path.resolve('/project', 'data/security'));
  });

  it('names the target types of _include and the source types of _revinclude', () => {
    assert.deepEqual(
      includedTypes([
        ['_include', 'Observation:subject:Patient'],
        ['_include:iterate', 'Observation:performer'],
        ['_revinclude', 'Provenance:target'],
        ['name', 'x:y:Z'],
      ]),
      ['Patient', 'Provenance'],
    );
  });
});

describe('a started project with security on', function () {
  this.timeout(60_000);
  let s: Started;
  before(async () => {
    s = await start();
  });
  after(() => s.close());

  it('warns about plain HTTP without a trusted proxy', () => {
    assert.ok(s.project.warnings.some((w) => w.includes('plain HTTP without a trusted proxy')));
  });

  it('serves /metadata without a token, with rest.security naming the token endpoint, and helmet headers', async () => {
    const reply = await s.call('/r4/metadata');
    assert.equal(reply.status, 200);
    const uris = reply.body.rest[0].security.extension[0].extension.map((e: { url: string }) => e.url);
    assert.deepEqual(uris, ['token', 'revoke', 'introspect']);
    assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(reply.headers.get('strict-transport-security'), null);
    assert.equal(reply.headers.get('x-powered-by'), null);
  });

  it('refuses a FHIR route without a token, and answers an unknown /.well-known path with a 404 OperationOutcome', async () => {
    assertRefused(await s.call('/r4/Patient/p1'), 401, 'invalid_token');
    const unknown = await s.call('/.well-known/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.resourceType, 'OperationOutcome');
    assert.equal((await s.call('/.well-known/smart-configuration')).status, 200);
  });

  it("answers what Node's HTTP parser refuses with a 400 OperationOutcome", async () => {
    const { port } = new URL(s.project.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('GET /r4/metadata HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n');
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(raw, /Content-Type: application\/fhir\+json/);
    assert.match(raw, /"resourceType":"OperationOutcome"/);
  });

  it('refuses an explicit _include target outside the scopes with 403 insufficient_scope', async () => {
    const token = await s.token('obs');
    assertRefused(
      await s.call('/r4/Observation?_include=Observation:subject:Patient', token),
      403,
      'insufficient_scope',
    );
    assert.equal((await s.call('/r4/Observation', token)).status, 200);
  });

  it('leaves out _include results of types outside the scopes', async () => {
    const token = await s.token('obs');
    const reply = await s.call('/r4/Encounter', token);
    assert.equal(reply.status, 200);
    assert.deepEqual(
      reply.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
      ['e1'],
    );
  });

  describe('patient/ scopes', () => {
    let admin: string;
    let patient: string;
    let own: string;
    let others: string;
    before(async () => {
      admin = await s.token('admin');
      for (const id of ['p1', 'p2']) {
        const reply = await s.call(`/r4/Patient/${id}`, admin, {
          method: 'PUT',
          body: JSON.stringify({ resourceType: 'Patient', id }),
        });
        assert.equal(reply.status, 201);
      }
      const observation = (subject: string) =>
        s.call('/r4/Observation', admin, {
          method: 'POST',
          body: JSON.stringify({
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'x' },
            subject: { reference: `Patient/${subject}` },
          }),
        });
      own = (await observation('p1')).body.id;
      others = (await observation('p2')).body.id;
      patient = await s.token('p1-app');
    });

    it("reads the token's own patient and its observations", async () => {
      assert.equal((await s.call('/r4/Patient/p1', patient)).status, 200);
      assert.equal((await s.call(`/r4/Observation/${own}`, patient)).status, 200);
    });

    it("refuses another patient's Patient and Observation with 403", async () => {
      assertRefused(await s.call('/r4/Patient/p2', patient), 403, 'insufficient_scope');
      assertRefused(await s.call(`/r4/Observation/${others}`, patient), 403, 'insufficient_scope');
    });

    it("keeps searches to the patient's compartment, and drops a total that would count others", async () => {
      const reply = await s.call('/r4/Observation', patient);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.deepEqual(
        reply.body.entry?.map((e: { resource: { id: string } }) => e.resource.id),
        [own],
        JSON.stringify(reply.body),
      );
      assert.equal(reply.body.total, undefined);
      const included = await s.call('/r4/Encounter', patient);
      assert.deepEqual(
        included.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
        ['e1', 'p1'],
      );
    });

    it("refuses to write into another patient's compartment, before anything is written", async () => {
      const body = JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'y' },
        subject: { reference: 'Patient/p2' },
      });
      assertRefused(
        await s.call('/r4/Observation', patient, { method: 'POST', body }),
        403,
        'insufficient_scope',
      );
      assertRefused(
        await s.call(`/r4/Observation/${others}`, patient, { method: 'DELETE' }),
        403,
        'insufficient_scope',
      );
      const moved = JSON.stringify([{ op: 'replace', path: '/subject/reference', value: 'Patient/p2' }]);
      assertRefused(
        await s.call(`/r4/Observation/${own}`, patient, {
          method: 'PATCH',
          body: moved,
          headers: { 'content-type': 'application/json-patch+json' },
        }),
        403,
        'insufficient_scope',
      );
      assert.equal((await s.call(`/r4/Observation/${others}`, admin)).status, 200);
      assert.equal((await s.call(`/r4/Observation/${own}`, admin)).body.subject.reference, 'Patient/p1');
    });

    it("does not hand out another patient's resource as the match of a conditional create", async () => {
      const body = JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'y' },
        subject: { reference: 'Patient/p1' },
      });
      const control = await s.call('/r4/Observation', admin, {
        method: 'POST',
        body,
        headers: { 'if-none-exist': `_id=${others}` },
      });
      assert.equal(control.status, 200);
      assert.equal(control.body.id, others);
      const refused = await s.call('/r4/Observation', patient, {
        method: 'POST',
        body,
        headers: { 'if-none-exist': `_id=${others}` },
      });
      assertRefused(refused, 403, 'insufficient_scope');
    });

    it('drops the total of a patient-scoped search, which would count other patients', async () => {
      const counted = await s.call(`/r4/Observation?_id=${own}`, patient);
      assert.equal(counted.status, 200);
      assert.equal(counted.body.entry.length, 1);
      assert.equal(counted.body.total, undefined);
      assert.equal((await s.call(`/r4/Observation?_id=${own}`, admin)).body.total, 1);
    });

    it('refuses a transaction with an out-of-scope entry, with the challenge, and writes none of it', async () => {
      const before = await s.call('/r4/Observation', admin);
      const transaction = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'z' },
              subject: { reference: 'Patient/p1' },
            },
            request: { method: 'POST', url: 'Observation' },
          },
          {
            resource: { resourceType: 'Organization', name: 'x' },
            request: { method: 'POST', url: 'Organization' },
          },
        ],
      };
      const reply = await s.call('/r4', patient, { method: 'POST', body: JSON.stringify(transaction) });
      assertRefused(reply, 403, 'insufficient_scope');
      assert.match(reply.body.issue[0].diagnostics, /Bundle\.entry\[1\]/);
      const after = await s.call('/r4/Observation', admin);
      assert.equal(after.body.entry.length, before.body.entry.length);
    });
  });
});

describe('a started project behind a trusted proxy', function () {
  this.timeout(60_000);
  it('sends HSTS when the trusted proxy says https, not otherwise, and does not warn about plain HTTP', async () => {
    const s = await start({}, { TRUST_PROXY: 'loopback' });
    try {
      assert.ok(!s.project.warnings.some((w) => w.includes('plain HTTP')));
      const forwarded = await s.call('/r4/metadata', undefined, {
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.equal(forwarded.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
      assert.equal((await s.call('/r4/metadata')).headers.get('strict-transport-security'), null);
    } finally {
      await s.close();
    }
  });
});

describe('a started project with security off', function () {
  this.timeout(60_000);
  it('serves without a token and warns that it does', async () => {
    const s = await start({}, { SECURITY: 'off' });
    try {
      assert.ok(s.project.warnings.includes(SECURITY_OFF_WARNING));
      assert.equal((await s.call('/r4/Patient')).status, 200);
      assert.equal((await s.call('/auth/token', undefined, { method: 'POST' })).status, 404);
      assert.ok(!s.project.warnings.some((w) => w.startsWith('invariants are off')));
    } finally {
      await s.close();
    }
  });

  it('warns at start when invariant checks are off', async () => {
    const s = await start({}, { SECURITY: 'off', INVARIANTS: 'false' });
    try {
      assert.ok(s.project.warnings.some((w) => w.startsWith('invariants are off (INVARIANTS=false)')));
    } finally {
      await s.close();
    }
  });
});
