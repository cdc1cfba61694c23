import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CURSOR_KEY_FILE, loadCursorKey } from '../../src/runtime/app/cursor-key';
import { ConfigError } from '../../src/runtime/config';
import type { PageCursor } from '../../src/runtime/contracts';
import { encodeCursor, parseCursor, useCursorKey } from '../../src/runtime/search/result-params';

describe('search cursor key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-cursor-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    useCursorKey(randomBytes(32));
  });

  it('is created once in the state folder, private, and read back by the next start', () => {
    const stateDir = path.join(dir, 'state');
    const first = loadCursorKey(stateDir, {});
    assert.equal(first.length, 32);
    const file = path.join(stateDir, CURSOR_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadCursorKey(stateDir, {}), first);
    assert.deepEqual(readdirSync(stateDir), [CURSOR_KEY_FILE], 'no temp file is left behind');
  });

  it('takes SEARCH_CURSOR_KEY over the file and writes nothing', () => {
    const given = randomBytes(32);
    const key = loadCursorKey(dir, { SEARCH_CURSOR_KEY: given.toString('base64url') });
    assert.deepEqual(key, given);
    assert.equal(existsSync(path.join(dir, CURSOR_KEY_FILE)), false);
  });

  it('refuses a key of the wrong size or alphabet with a message that says how to make one', () => {
    for (const bad of ['', 'short', randomBytes(16).toString('base64url'), `${'a'.repeat(42)}!!`]) {
      assert.throws(
        () => loadCursorKey(dir, { SEARCH_CURSOR_KEY: bad }),
        (error: unknown) => error instanceof ConfigError && /32-byte key in base64url/.test(error.message),
      );
    }
    writeFileSync(path.join(dir, CURSOR_KEY_FILE), 'not a key\n');
    assert.throws(() => loadCursorKey(dir, {}), ConfigError);
  });

  it('makes a cursor sealed by one instance readable by another that shares the key, and no one else', () => {
    const cursor: PageCursor = { direction: 'next', key: ['2020-01-01', 'abc'], total: 7 };
    const shared = loadCursorKey(dir, {});
    useCursorKey(shared);
    const link = encodeCursor(cursor);
    useCursorKey(randomBytes(32));
    assert.equal(parseCursor(link).ok, false, 'another key must not open it');
    useCursorKey(loadCursorKey(dir, {}));
    assert.deepEqual(parseCursor(link), { ok: true, value: cursor });
  });

  it('seals every cursor with an IV of its own, across refills of the pool the IVs are drawn from', () => {
    const ivs = new Set<string>();
    // 4,096 bytes of pool are 341 IVs: a thousand cursors cross two refills.
    for (let i = 0; i < 1000; i++) {
      const cursor: PageCursor = { direction: 'next', key: ['same', 'x'], total: 3 };
      const sealed = encodeCursor(cursor);
      ivs.add(Buffer.from(sealed, 'base64url').subarray(0, 12).toString('hex'));
      assert.deepEqual(parseCursor(sealed), { ok: true, value: cursor }, `cursor ${i} opens again`);
    }
    assert.equal(ivs.size, 1000, 'no IV is used twice, even for the same cursor');
  });
});
