/**
 * Health endpoints and graceful shutdown of an installed generated project, started as `npm start`
 * starts it (a child process): readiness and liveness over HTTP, and on SIGTERM a request already in
 * flight completes while new connections are refused, then the process exits 0; a request that
 * outlasts `SHUTDOWN_TIMEOUT_MS` is cut and the process still exits 0 on time.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { installedProject, startServer, tempDir } from '../support/project';
import { clientSecretOf, clientToken, SECURE_PROJECT, send } from './security-support';

/** An in-memory resource store and a state folder of its own: nothing shared with other suites. */
function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TRANSPORT: 'http',
    STORE: 'memory',
    SECURITY_STATE_DIR: path.join(tempDir('fhirgen-lifecycle-'), 'security'),
    ...extra,
  };
}

describe('generated project lifecycle, end to end', function () {
  this.timeout(900_000);
  let dir: string;
  let secret: string;

  before(async () => {
    const project = await installedProject(SECURE_PROJECT);
    dir = project.dir;
    secret = clientSecretOf(project.output);
  });

  it('answers /health/live and /health/ready without a token', async () => {
    const server = await startServer(dir, isolatedEnv());
    try {
      const live = await send(`${server.url}/health/live`);
      assert.equal(live.status, 200);
      assert.deepEqual(live.json(), { status: 'pass' });
      assert.equal(live.headers['cache-control'], 'no-store');
      const ready = await send(`${server.url}/health/ready`);
      assert.equal(ready.status, 200, ready.text);
      assert.deepEqual(ready.json(), {
        status: 'pass',
        checks: { resourceStore: 'pass', tokenStore: 'pass' },
      });
    } finally {
      await server.stop();
    }
  });

  it('on SIGTERM finishes the request in flight, refuses new connections, and exits 0', async () => {
    const server = await startServer(dir, isolatedEnv());
    const token = await clientToken(server.url, 'admin', secret);
    const slow = slowCreate(server.url, token);
    await slow.started;
    const exited = server.stop('SIGTERM');
    await waitFor(() => server.output().includes('SIGTERM: finishing requests in flight'));
    assert.equal(await connects(server.url), false);
    slow.finish();
    const reply = await slow.response;
    assert.equal(reply.status, 201, reply.text);
    assert.equal(JSON.parse(reply.text).resourceType, 'Patient');
    assert.equal(await exited, 0);
    assert.doesNotMatch(server.output(), /did not stop cleanly/);
  });

  it('cuts a request that outlasts SHUTDOWN_TIMEOUT_MS, and still exits 0 on time', async () => {
    const server = await startServer(dir, isolatedEnv({ SHUTDOWN_TIMEOUT_MS: '500' }));
    const slow = slowCreate(server.url, await clientToken(server.url, 'admin', secret));
    await slow.started;
    const started = Date.now();
    assert.equal(await server.stop('SIGTERM'), 0);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    await assert.rejects(slow.response);
  });
});

/** A create whose body arrives in two parts: in flight from the first part until `finish()`. */
function slowCreate(base: string, token: string) {
  const body = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'InFlight' }] });
  const request = http.request(`${base}/r4/Patient`, {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  response.catch(() => undefined);
  const half = body.length >> 1;
  // Give the server a moment to read the headers and the first part: the request is then in flight.
  const started = new Promise<void>((resolve) => {
    request.write(body.slice(0, half), () => setTimeout(resolve, 200));
  });
  return { response, started, finish: () => request.end(body.slice(half)) };
}

/** Whether a new TCP connection to the server's port is accepted. */
function connects(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
