/**
 * The round-robin balancer the cluster tests and the scale bench put in front of several instances
 * (test/support/balancer.ts): what instances receive, and what clients get when an instance is gone.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { send } from './e2e/security-support';
import { type Balancer, startBalancer } from './support/balancer';

interface Upstream {
  url: string;
  seen: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** An instance stand-in that answers with its name and remembers the headers it received. */
async function upstream(name: string): Promise<Upstream> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => response.end(name));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('load balancer for cluster tests', function () {
  this.timeout(30_000);
  let balancer: Balancer;
  let a: Upstream;
  let b: Upstream;

  beforeEach(async () => {
    [a, b] = await Promise.all([upstream('a'), upstream('b')]);
    balancer = await startBalancer();
    await balancer.setTargets([a.url, b.url]);
  });

  afterEach(async () => {
    await balancer?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('sends requests to each instance in turn and says which answered', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await send(`${balancer.url}/r4/metadata`));
    assert.deepEqual(
      replies.map((reply) => [reply.text, reply.headers['x-balanced-to']]),
      [
        ['a', '0'],
        ['b', '1'],
        ['a', '0'],
        ['b', '1'],
      ],
    );
  });

  it("appends the client's address to X-Forwarded-For and drops hop-by-hop headers", async () => {
    await send(`${balancer.url}/r4/Patient`, {
      localAddress: '127.0.0.2',
      headers: { 'proxy-authorization': 'x' },
    });
    await send(`${balancer.url}/r4/Patient`, {
      localAddress: '127.0.0.3',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    assert.equal(a.seen[0]?.['x-forwarded-for'], '127.0.0.2');
    assert.equal(a.seen[0]?.['x-forwarded-proto'], 'http');
    assert.equal(a.seen[0]?.['proxy-authorization'], undefined);
    assert.equal(b.seen[0]?.['x-forwarded-for'], '203.0.113.9, 127.0.0.3');
  });

  it('sends a GET once more to the next instance when one is gone, but never a POST', async () => {
    await b.close();
    await send(`${balancer.url}/first`); // to a: the next request goes to b
    const read = await send(`${balancer.url}/r4/Patient/1`);
    assert.equal(read.status, 200);
    assert.equal(read.text, 'a');
    await send(`${balancer.url}/first`); // to b, then a again: the next request goes to b
    const created = await send(`${balancer.url}/r4/Patient`, { method: 'POST', body: '{}' });
    assert.equal(created.status, 502);
    assert.equal(created.json().resourceType, 'OperationOutcome');
  });
});
