import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteTokenStore } from '../../src/runtime/security/sqlite-token-store';
import { TokenStateCache } from '../../src/runtime/security/token-state-cache';
import type { IssuedToken, TokenState } from '../../src/runtime/security/token-store';
import { eventually } from '../support/eventually';

const NOW = 1_900_000_000_000;
const NOW_S = NOW / 1000;
const dirs: string[] = [];

function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-state-cache-'));
  dirs.push(dir);
  return path.join(dir, 'tokens.sqlite');
}

function issued(jti: string): IssuedToken {
  return {
    jti,
    subject: 'alice',
    clientId: 'app',
    fingerprint: `fp-${jti}`,
    issuedAt: NOW_S,
    expiresAt: NOW_S + 600,
  };
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('TokenStateCache', () => {
  const state: TokenState = { issued: { ...issued('t1') } };

  it('answers until its maximum age, then forgets', () => {
    let now = NOW;
    const cache = new TokenStateCache({ file: ':memory:', maxAgeMs: 1000, now: () => now });
    cache.set('t1', undefined, state);
    assert.deepEqual(cache.get('t1', undefined), state, 'a fresh answer is reused');
    now += 999;
    assert.deepEqual(cache.get('t1', undefined), state, 'still within its age');
    now += 1;
    assert.equal(cache.get('t1', undefined), undefined, 'too old: read again');
  });

  it('keeps answers per address, and lets a block end at its deadline', () => {
    const cache = new TokenStateCache({ file: ':memory:', maxAgeMs: 60_000, now: () => NOW });
    const blocked = { ...state, blockedUntil: NOW + 5000 };
    cache.set('t1', { address: '10.0.0.9', now: NOW }, blocked);
    assert.equal(cache.get('t1', undefined), undefined, 'without an address it is another question');
    assert.equal(cache.get('t1', { address: '10.0.0.8', now: NOW }), undefined, 'another address too');
    assert.equal(cache.get('t1', { address: '10.0.0.9', now: NOW + 4999 })?.blockedUntil, NOW + 5000);
    const after = cache.get('t1', { address: '10.0.0.9', now: NOW + 5000 });
    assert.equal(after?.blockedUntil, undefined, 'the block has ended');
    assert.deepEqual(after?.issued, state.issued, 'the rest of the answer stays');
  });

  it('keeps nothing with a maximum age of 0, and nothing after clear', () => {
    const off = new TokenStateCache({ file: ':memory:', maxAgeMs: 0 });
    off.set('t1', undefined, state);
    assert.equal(off.get('t1', undefined), undefined, 'disabled');
    const on = new TokenStateCache({ file: ':memory:', maxAgeMs: 1000 });
    on.set('t1', undefined, state);
    on.clear();
    assert.equal(on.get('t1', undefined), undefined, 'cleared');
  });

  it('holds at most maxEntries answers, dropping the oldest', () => {
    const cache = new TokenStateCache({ file: ':memory:', maxAgeMs: 1000, maxEntries: 2, now: () => NOW });
    for (const jti of ['a', 'b', 'c']) cache.set(jti, undefined, state);
    assert.equal(cache.get('a', undefined), undefined, 'the oldest went');
    assert.ok(cache.get('c', undefined), 'the newest stays');
  });
});

describe('SQLite token store with its state cache', () => {
  it('sees its own revocation, supersession and block at once', async () => {
    const store = new SqliteTokenStore({ file: tempFile(), stateCacheMs: 3_600_000 });
    try {
      const check = { address: '10.0.0.9', now: NOW };
      await store.recordIssued(issued('t1'));
      assert.equal((await store.state('t1', check)).revocation, undefined, 'read once, now cached');
      await store.revoke('t1', 'client request', NOW_S + 600, NOW);
      assert.equal((await store.state('t1', check)).revocation?.reason, 'client request', 'revoked');
      await store.recordIssued(issued('t2'));
      assert.equal((await store.state('t1', check)).issued?.supersededAt, NOW_S, 'superseded');
      await store.blockAddress('10.0.0.9', NOW + 60_000);
      assert.equal((await store.state('t1', check)).blockedUntil, NOW + 60_000, 'blocked');
    } finally {
      await store.close();
    }
  });

  it("sees another process's revocation when the file changes, long before the maximum age", async () => {
    await withTwoHandles(3_600_000, async (reader, writer) => {
      await writer.recordIssued(issued('t1'));
      assert.equal((await reader.state('t1')).revocation, undefined, 'read once, now cached');
      await writer.revoke('t1', 'elsewhere', NOW_S + 600, NOW);
      await eventually(
        async () => {
          assert.equal((await reader.state('t1')).revocation?.reason, 'elsewhere', 'the change was noticed');
        },
        5000,
        20,
      );
      await writer.blockAddress('10.0.0.7', NOW + 60_000);
      const check = { address: '10.0.0.7', now: NOW };
      await eventually(
        async () => {
          assert.equal((await reader.state('t1', check)).blockedUntil, NOW + 60_000, 'the block was noticed');
        },
        5000,
        20,
      );
    });
  });

  it('reads the file on every call with stateCacheMs 0', async () => {
    await withTwoHandles(0, async (reader, writer) => {
      await writer.recordIssued(issued('t1'));
      assert.equal((await reader.state('t1')).revocation, undefined, 'not revoked yet');
      await writer.revoke('t1', 'elsewhere', NOW_S + 600, NOW);
      assert.equal((await reader.state('t1')).revocation?.reason, 'elsewhere', 'seen at once');
    });
  });
});

/** Two handles on one file, as two processes on one state folder: a reader with the given cache age, and a writer. */
async function withTwoHandles(
  readerCacheMs: number,
  work: (reader: SqliteTokenStore, writer: SqliteTokenStore) => Promise<void>,
): Promise<void> {
  const file = tempFile();
  const reader = new SqliteTokenStore({ file, stateCacheMs: readerCacheMs });
  const writer = new SqliteTokenStore({ file, stateCacheMs: 0 });
  try {
    await work(reader, writer);
  } finally {
    await reader.close();
    await writer.close();
  }
}
