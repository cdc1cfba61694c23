/**
 * A generated project on a Redis token store (issue 8), end to end: two instances of the installed
 * project sharing one Redis and one state folder (so one signing key) behave as one token service
 * (a token revoked on one is refused by the other, a newer token issued by one supersedes the older
 * on the other, an address blocked by one is blocked on both); with Redis stopped every protected
 * request is a 503, never a 200, and once Redis is back the server serves again without a restart;
 * an unreachable or misconfigured Redis is a one-line start-up error. The token matrix against Redis
 * is security.test.ts, run once per token store backend.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { eventually } from '../support/eventually';
import { installedProject, type StartedServer, startServer, tempDir } from '../support/project';
import { startRedis, type TestRedis } from '../support/redis';
import { basic, clientSecretOf, clientToken, type Received, SECURE_PROJECT, send } from './security-support';

/** Servers started as child processes take longer to notice Redis coming back. */
const eventuallyE2e = (check: () => Promise<unknown>) => eventually(check, 15_000, 200);

const ISSUER = 'https://two-instances.test';

describe('generated project on a Redis token store, end to end', function () {
  this.timeout(900_000);
  let dir: string;
  let secret: string;
  let redis: TestRedis;
  let env: NodeJS.ProcessEnv;
  let one: StartedServer;
  let two: StartedServer;

  const token = (server: StartedServer, localAddress?: string) =>
    clientToken(server.url, 'admin', secret, localAddress === undefined ? {} : { localAddress });
  const read = (server: StartedServer, bearer?: string, localAddress?: string) =>
    send(`${server.url}/r4/Patient`, {
      headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
      ...(localAddress === undefined ? {} : { localAddress }),
    });
  const revoke = (server: StartedServer, bearer: string) =>
    send(`${server.url}/auth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('admin', secret) },
      body: `token=${bearer}`,
    });

  before(async () => {
    const project = await installedProject(SECURE_PROJECT);
    dir = project.dir;
    secret = clientSecretOf(project.output);
    redis = await startRedis();
    // A state folder of their own (one signing key for both), resources in memory: only the token
    // service is shared through Redis here.
    env = {
      TRANSPORT: 'http',
      TOKEN_ISSUER: ISSUER,
      STORE: 'memory',
      SECURITY_STATE_DIR: path.join(tempDir('fhirgen-redis-state-'), 'security'),
      TOKEN_STORE: 'redis',
      TOKEN_STORE_URL: redis.url,
    };
    [one, two] = await Promise.all([startServer(dir, env), startServer(dir, env)]);
  });

  after(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await redis?.stop();
  });

  function assertInvalidToken(reply: Received, description: string): void {
    assert.equal(reply.status, 401, reply.text);
    assert.match(String(reply.headers['www-authenticate']), new RegExp(`error_description="${description}"`));
    assert.equal(reply.json().resourceType, 'OperationOutcome');
  }

  describe('two instances sharing Redis and a state folder', () => {
    it('accept each other’s tokens (one signing key, one token state)', async () => {
      const issued = await token(one);
      assert.equal((await read(one, issued)).status, 200);
      assert.equal((await read(two, issued)).status, 200);
    });

    it('refuse on one a token revoked on the other', async () => {
      const issued = await token(one);
      assert.equal((await read(two, issued)).status, 200);
      assert.equal((await revoke(one, issued)).status, 200);
      assertInvalidToken(await read(two, issued), 'token revoked');
      assertInvalidToken(await read(one, issued), 'token revoked');
    });

    it('let a newer token issued by one supersede the older on the other', async () => {
      const older = await token(two);
      assert.equal((await read(two, older)).status, 200);
      const newer = await token(one);
      assertInvalidToken(await read(two, older), 'token superseded by a newer one');
      assertInvalidToken(await read(one, older), 'token superseded by a newer one');
      assert.equal((await read(two, newer)).status, 200);
    });

    it('block on both an address that misused a token on one', async () => {
      const issued = await token(one);
      assertInvalidToken(await read(one, issued, '127.0.0.3'), 'token used from another address');
      assertInvalidToken(await read(two, undefined, '127.0.0.3'), 'address blocked');
      assertInvalidToken(await read(two, issued), 'token revoked');
    });

    it('are both ready, and say so', async () => {
      for (const server of [one, two]) {
        const reply = await send(`${server.url}/health/ready`);
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(reply.json().checks, { resourceStore: 'pass', tokenStore: 'pass' });
      }
    });
  });

  describe('start-up', () => {
    it('refuses to start when Redis cannot be reached: one line naming the URL without its password', async () => {
      const url = `redis://fhir:hunter2@127.0.0.1:${redis.port + 1}/0`;
      const failed = await startServer(dir, { ...env, TOKEN_STORE_URL: url }).then(
        () => assert.fail('the server started'),
        (error: Error) => error.message,
      );
      assert.match(failed, /exited with 1/);
      assert.doesNotMatch(failed, /hunter2/);
      const line = failed.split('\n').find((text) => text.includes('cannot reach Redis'));
      assert.match(
        line ?? failed,
        /^The server could not start: token store: cannot reach Redis at redis:\/\/fhir:\*\*\*@127\.0\.0\.1:\d+\/0 \(.*\); check that Redis is running there/,
      );
    });

    it('refuses an unknown token store kind and a URL that is not Redis, naming the settings', async () => {
      await assert.rejects(
        startServer(dir, { ...env, TOKEN_STORE: 'memcached' }),
        /exited with 1[\s\S]*security\.tokenStore\.kind \(TOKEN_STORE\) must be sqlite or redis/,
      );
      await assert.rejects(
        startServer(dir, { ...env, TOKEN_STORE_URL: 'http://127.0.0.1:6379' }),
        /exited with 1[\s\S]*security\.tokenStore\.url \(TOKEN_STORE_URL\) must be a redis:\/\/ or rediss:\/\/ URL/,
      );
    });
  });

  describe('Redis stopped while the servers run', () => {
    it('fails closed with 503, never 200, and serves again once Redis is back', async () => {
      const before = await token(one);
      await redis.stop();
      try {
        for (const server of [one, two]) {
          for (let i = 0; i < 3; i += 1) {
            const reply = await read(server, before);
            assert.equal(reply.status, 503, reply.text);
            assert.equal(reply.json().issue[0].code, 'transient');
            assert.equal(reply.headers['retry-after'], '5');
          }
          const refused = await send(`${server.url}/auth/token`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: basic('admin', secret),
            },
            body: 'grant_type=client_credentials',
          });
          assert.equal(refused.status, 503, refused.text);
          assert.equal(refused.json().error, 'temporarily_unavailable');
          const ready = await send(`${server.url}/health/ready`);
          assert.equal(ready.status, 503);
          assert.equal(ready.json().checks.tokenStore, 'fail');
          assert.equal((await send(`${server.url}/health/live`)).status, 200);
        }
      } finally {
        await redis.start();
      }
      for (const server of [one, two]) {
        await eventuallyE2e(async () => assert.equal((await send(`${server.url}/health/ready`)).status, 200));
      }
      // The test Redis keeps nothing across a restart: the old token is unknown now, and refused.
      assertInvalidToken(await read(one, before), 'token invalid');
      const after = await token(two);
      assert.equal((await read(one, after)).status, 200);
      assert.match(one.output(), /token store: lost Redis at redis:\/\/127\.0\.0\.1:\d+\/0/);
      assert.match(one.output(), /token store: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is back/);
    });
  });
});
