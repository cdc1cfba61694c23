/**
 * Health endpoints and graceful shutdown of a started project (`startProject`, in process):
 * liveness and readiness with their checks, readiness 503 while starting and stopping, and a
 * shutdown that refuses new connections, lets a request in flight finish, closes idle keep-alive
 * connections at once, cuts connections after the grace period, and then closes the stores.
 * The same shutdown against an installed project started as `npm start` does is in
 * test/e2e/lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Health } from '../../src/runtime/app/health';
import { startTestProject, type TestProject } from './fixtures/security/project';

describe('health endpoints', function () {
  this.timeout(30_000);
  let s: TestProject;
  before(async () => {
    s = await startTestProject();
  });
  after(() => s.close());

  it('answers /health/live 200 pass, uncached, without a token', async () => {
    const reply = await s.call('/health/live');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: 'pass' });
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    assert.match(reply.headers.get('content-type') ?? '', /^application\/health\+json/);
  });

  it('answers /health/ready 200 with the resource store and token store checks', async () => {
    const reply = await s.call('/health/ready?probe=1');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { status: 'pass', checks: { resourceStore: 'pass', tokenStore: 'pass' } });
    assert.equal(reply.headers.get('cache-control'), 'no-store');
  });

  it('answers /health/ready 503 naming the resource store when it does not answer', async () => {
    const broken = await startTestProject();
    try {
      await broken.project.store.close();
      const reply = await broken.call('/health/ready');
      assert.equal(reply.status, 503);
      assert.deepEqual(reply.body, { status: 'fail', checks: { resourceStore: 'fail', tokenStore: 'pass' } });
      assert.equal((await broken.call('/health/live')).status, 200);
    } finally {
      await broken.close();
    }
  });

  it('allows GET and HEAD only, and lives outside the FHIR base paths', async () => {
    const post = await s.call('/health/live', undefined, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await s.call('/health/ready', undefined, { method: 'HEAD' })).status, 200);
    assert.equal((await s.call('/r4/health/live')).status, 401);
  });
});

describe('readiness', () => {
  const probe = async (health: Health) => {
    const server = http.createServer((req, res) => {
      if (!health.answer(req, res)) res.end('app');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return { status: response.status, body: await response.json() };
    } finally {
      server.close();
    }
  };

  it('is 503 while starting and while stopping, 200 in between', async () => {
    const health = new Health();
    health.setChecks({ store: async () => {} });
    assert.deepEqual(await probe(health), { status: 503, body: { status: 'fail', phase: 'starting' } });
    health.phase = 'ready';
    assert.equal((await probe(health)).status, 200);
    health.phase = 'stopping';
    assert.deepEqual(await probe(health), { status: 503, body: { status: 'fail', phase: 'stopping' } });
  });

  it('is 503 naming the check that failed or did not answer in time', async () => {
    const health = new Health();
    health.phase = 'ready';
    health.setChecks({
      resourceStore: () => Promise.reject(new Error('connection refused')),
      tokenStore: async () => {},
      slow: () => new Promise(() => {}),
    });
    const started = Date.now();
    const reply = await probe(health);
    assert.ok(Date.now() - started < 3500);
    assert.deepEqual(reply, {
      status: 503,
      body: { status: 'fail', checks: { resourceStore: 'fail', tokenStore: 'pass', slow: 'fail' } },
    });
  });
});

describe('graceful shutdown', function () {
  this.timeout(30_000);

  it('refuses new connections, finishes the request in flight, then closes the stores', async () => {
    const s = await startTestProject();
    const token = await s.token();
    const slow = slowCreate(s.project.url, token);
    await slow.headersSent;
    const stopped = s.project.shutdown(10_000);
    assert.equal(s.project.health.phase, 'stopping');
    await assert.rejects(fetch(`${s.project.url}/health/live`), /fetch failed/);
    slow.finish();
    const reply = await slow.response;
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.connection, 'close');
    await stopped;
    await assert.rejects(s.project.security?.store.ping() as Promise<void>);
    await s.close();
  });

  it('closes idle keep-alive connections at once instead of waiting for the grace period', async () => {
    const s = await startTestProject();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const reply = await get(`${s.project.url}/health/live`, agent);
      assert.equal(reply.status, 200);
      const started = Date.now();
      await s.project.shutdown(10_000);
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    } finally {
      agent.destroy();
      await s.close();
    }
  });

  it('cuts a request that outlasts the grace period', async () => {
    const s = await startTestProject();
    const slow = slowCreate(s.project.url, await s.token());
    await slow.headersSent;
    const started = Date.now();
    await s.project.shutdown(300);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    await assert.rejects(slow.response);
    await s.close();
  });
});

/** A create whose body arrives in two parts: in flight from the first part until `finish()`. */
function slowCreate(base: string, token: string) {
  const body = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Slow' }] });
  const request = http.request(`${base}/r4/Patient`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const response = new Promise<{ status: number; text: string; connection: string | undefined }>(
    (resolve, reject) => {
      request.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }),
        );
        res.on('error', reject);
      });
      request.on('error', reject);
    },
  );
  response.catch(() => undefined);
  const half = body.length >> 1;
  const headersSent = new Promise<void>((resolve) => {
    request.write(body.slice(0, half), () => setTimeout(resolve, 100));
  });
  return { response, headersSent, finish: () => request.end(body.slice(half)) };
}

function get(url: string, agent: http.Agent): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      })
      .on('error', reject);
  });
}
