/**
 * The Redis token store: the shared TokenStore contract (with two clients writing at once, as two
 * server instances do), TTLs on every record, the key prefix, and failing fast and closed while
 * Redis is down, then recovering by itself. Runs a throwaway redis-server (test/support/redis.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  openRedisTokenStore,
  type RedisTokenStore,
  redactUrl,
} from '../../src/runtime/security/redis-token-store';
import { isStoreUnavailable, type TokenStore } from '../../src/runtime/security/token-store';
import { eventually } from '../support/eventually';
import { startRedis, type TestRedis } from '../support/redis';
import { tokenStoreSuite } from './fixtures/security/token-store-suite';

let redis: TestRedis;
const prefixes = new WeakMap<TokenStore, string>();

async function open(keyPrefix: string): Promise<TokenStore> {
  const store = await openRedisTokenStore({ url: redis.url, keyPrefix });
  prefixes.set(store, keyPrefix);
  return store;
}

describe('Redis token store', function () {
  this.timeout(60_000);
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  // Each test gets keys of its own under a fresh prefix: an empty store without flushing Redis.
  tokenStoreSuite('Redis', {
    open: () => open(`test:${randomUUID()}:`),
    peer: (store) => open(prefixes.get(store) as string),
    reopen: async (store) => {
      await store.close();
      return open(prefixes.get(store) as string);
    },
  });

  describe('keys', () => {
    let raw: Redis;
    before(() => {
      raw = new Redis(redis.url);
    });
    after(async () => {
      await raw.quit();
    });

    it('puts every key under the prefix, and a TTL on every record', async () => {
      const prefix = `ttl:${randomUUID()}:`;
      const store = await open(prefix);
      const now = Date.now();
      const nowS = Math.floor(now / 1000);
      try {
        await store.recordIssued({
          jti: 'a',
          subject: 's',
          clientId: 'c',
          fingerprint: 'f',
          issuedAt: nowS,
          expiresAt: nowS + 600,
        });
        await store.revoke('a', 'test', nowS + 600, now);
        await store.bindAddress('a', '10.0.0.1', nowS + 600);
        await store.blockAddress('10.0.0.1', now + 60_000);
        await store.increment('k', 60_000, now);
      } finally {
        await store.close();
      }
      const keys = (await raw.keys('*')).filter((key) => key.startsWith(prefix));
      const kinds = keys.map((key) => key.slice(prefix.length).split(':')[0]).sort();
      assert.deepEqual(kinds, [
        'binding',
        'block',
        'counter',
        'expiry',
        'expiry',
        'expiry',
        'expiry',
        'expiry',
        'issued',
        'owner',
        'revoked',
      ]);
      for (const key of keys.filter((k) => !k.startsWith(`${prefix}expiry:`))) {
        const ttl = await raw.ttl(key);
        // Deadline (at most 10 minutes away) plus a grace period of two minutes.
        assert.ok(ttl > 0 && ttl <= 600 + 121, `${key} has TTL ${ttl}`);
      }
    });

    it('purges expired records and their index entries in batches', async () => {
      const prefix = `purge:${randomUUID()}:`;
      const store = await open(prefix);
      try {
        const now = 1_800_000_000_000;
        await Promise.all(
          Array.from({ length: 1200 }, (_, i) => store.increment(`k${i}`, 1000, now - 10_000)),
        );
        assert.equal(await store.purgeExpired(now), 1200);
        assert.equal(await raw.zcard(`${prefix}expiry:counter`), 0);
        assert.deepEqual(
          (await raw.keys('*')).filter((key) => key.startsWith(prefix)),
          [],
        );
      } finally {
        await store.close();
      }
    });
  });

  describe('when Redis is unreachable', () => {
    it('refuses to open, naming the URL without its password and what to check', async () => {
      const url = `redis://user:s3cret@127.0.0.1:${redis.port + 1}/0`;
      await assert.rejects(openRedisTokenStore({ url }), (error: Error) => {
        assert.ok(isStoreUnavailable(error));
        assert.doesNotMatch(error.message, /s3cret/);
        assert.match(error.message, /cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/0/);
        assert.match(error.message, /check that Redis is running there .*TOKEN_STORE_URL/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    });

    it('refuses to open on a database Redis does not have, saying what Redis said', async () => {
      await assert.rejects(
        openRedisTokenStore({ url: `redis://127.0.0.1:${redis.port}/99` }),
        /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/99 \(ERR DB index is out of range\)/,
      );
    });

    it('fails every call fast while Redis is down, and works again once it is back', async () => {
      const store = await open(`down:${randomUUID()}:`);
      try {
        await store.revoke('x', 'before', 1_800_000_600, 1_800_000_000_000);
        await redis.stop();
        const calls: [string, () => Promise<unknown>][] = [
          ['state', () => store.state('x')],
          ['recordIssued', () => store.recordIssued(sample('y'))],
          ['revoke', () => store.revoke('y', 'r', 1_800_000_600)],
          ['bindAddress', () => store.bindAddress('y', '10.0.0.1', 1_800_000_600)],
          ['blockAddress', () => store.blockAddress('10.0.0.1', Date.now() + 1000)],
          ['blockedUntil', () => store.blockedUntil('10.0.0.1', Date.now())],
          ['increment', () => store.increment('k', 1000, Date.now())],
          ['purgeExpired', () => store.purgeExpired(Date.now())],
          ['ping', () => store.ping()],
        ];
        for (const [name, call] of calls) {
          const started = Date.now();
          await assert.rejects(call(), (error) => isStoreUnavailable(error), name);
          assert.ok(Date.now() - started < 1000, `${name} took ${Date.now() - started} ms`);
        }
        await redis.start();
        await eventually(() => store.ping());
        // The restarted Redis kept nothing (no persistence): the store answers from the new state.
        assert.deepEqual(await store.state('x'), {});
        assert.deepEqual(await store.recordIssued(sample('z')), []);
      } finally {
        await redis.start();
        await store.close();
      }
    });

    it('answers within the command timeout when Redis hangs, instead of waiting for it', async () => {
      const store = (await openRedisTokenStore({
        url: redis.url,
        keyPrefix: `hang:${randomUUID()}:`,
        commandTimeoutMs: 300,
      })) as RedisTokenStore;
      const raw = new Redis(redis.url);
      try {
        // DEBUG SLEEP blocks the whole server, as a stalled Redis would.
        const sleeping = raw.call('DEBUG', 'SLEEP', '1.5').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const started = Date.now();
        await assert.rejects(store.state('x'), (error) => isStoreUnavailable(error));
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
        await sleeping;
      } finally {
        await raw.quit();
        await store.close();
      }
    });
  });

  it('redacts only the password of a URL', () => {
    assert.equal(redactUrl('redis://:pw@host:6379/1'), 'redis://:***@host:6379/1');
    assert.equal(redactUrl('rediss://host:6380'), 'rediss://host:6380');
  });
});

function sample(jti: string) {
  return {
    jti,
    subject: 's',
    clientId: 'c',
    fingerprint: `fp-${jti}`,
    issuedAt: 1_800_000_000,
    expiresAt: 1_800_000_600,
  };
}
