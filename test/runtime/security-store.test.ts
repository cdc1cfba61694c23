import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteTokenStore } from '../../src/runtime/security/sqlite-token-store';
import { isStoreUnavailable, type TokenStore } from '../../src/runtime/security/token-store';
import { tokenStoreSuite } from './fixtures/security/token-store-suite';

const CHILD = path.join(__dirname, 'fixtures', 'security', 'store-child.ts');
const dirs: string[] = [];

function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-store-'));
  dirs.push(dir);
  return path.join(dir, 'tokens.sqlite');
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

tokenStoreSuite('SQLite in memory', { open: async () => new SqliteTokenStore({ file: ':memory:' }) });

const files = new WeakMap<TokenStore, string>();
tokenStoreSuite('SQLite file', {
  open: async () => {
    const file = tempFile();
    const store = new SqliteTokenStore({ file });
    files.set(store, file);
    return store;
  },
  reopen: async (store) => {
    const file = files.get(store) as string;
    await store.close();
    const reopened = new SqliteTokenStore({ file });
    files.set(reopened, file);
    return reopened;
  },
  // A second connection to the same file, as a second process on the same state folder has.
  peer: async (store) => new SqliteTokenStore({ file: files.get(store) as string }),
});

describe('SQLite token store failures', () => {
  it('reports a store it cannot use as unavailable, never as an answer', async () => {
    const store = new SqliteTokenStore({ file: tempFile() });
    await store.close();
    for (const call of [
      () => store.state('x'),
      () => store.revoke('x', 'r', 1),
      () => store.increment('k', 1000, 0),
      () => store.blockedUntil('10.0.0.1', 0),
      () => store.ping(),
    ]) {
      await assert.rejects(call(), (error) => isStoreUnavailable(error));
    }
  });

  it('reports a database locked beyond its busy timeout as unavailable', async () => {
    const file = tempFile();
    const short = new SqliteTokenStore({ file, busyTimeoutMs: 0 });
    const locker = new Database(file);
    try {
      locker.exec('BEGIN EXCLUSIVE');
      await assert.rejects(short.revoke('x', 'r', 1), (error) => isStoreUnavailable(error));
      locker.exec('ROLLBACK');
      assert.equal(await short.revoke('x', 'r', 1), true);
      await short.close();
    } finally {
      locker.close();
    }
  });
});

describe('SQLite token store durability', () => {
  it('uses WAL journaling', async () => {
    const file = tempFile();
    const store = new SqliteTokenStore({ file });
    await store.close();
    const mode = execFileSync(process.execPath, [
      '-e',
      `const D=require('better-sqlite3');const d=new D(${JSON.stringify(file)});console.log(d.pragma('journal_mode',{simple:true}))`,
    ]);
    assert.equal(mode.toString().trim(), 'wal');
  });

  it('keeps revocations, supersession and blocks after the process is killed with SIGKILL', async () => {
    const file = tempFile();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, 'write'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(child, 'ready');
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const output = execFileSync(process.execPath, ['--import', 'tsx', CHILD, file, 'read']).toString();
    const found = JSON.parse(output) as { revoked: string[]; superseded: string[]; blocked: boolean };
    const even = Array.from({ length: 25 }, (_, i) => `t${i * 2}`);
    const allButLast = Array.from({ length: 49 }, (_, i) => `t${i}`);
    assert.deepEqual(found.revoked, even);
    assert.deepEqual(found.superseded, allButLast);
    assert.equal(found.blocked, true);
  });
});

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${line}"`)));
  });
}
