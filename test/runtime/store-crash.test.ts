/**
 * A write answered is a write kept: a child process writes a stream of Patients through the store
 * (group commit on) and reports each id as the store answers it; killed with SIGKILL in the middle
 * of the stream, its store, opened again, holds every reported id.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FhirHttpError } from '../../src/runtime/outcome';
import { STORE_BACKENDS } from './fixtures/stores';

const CHILD = path.join(__dirname, 'fixtures', 'store-writer.ts');

/** Runs the writer until it has reported `count` ids, kills it with SIGKILL, and returns what it reported. */
async function writeThenKill(kind: string, location: string, count: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, kind, location], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reported: string[] = [];
  let partial = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    reported.push(...lines);
    if (reported.length >= count && child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
  });
  assert.equal(await exited, 'SIGKILL', 'the writer was killed, not finished');
  return reported;
}

for (const backend of STORE_BACKENDS) {
  describe(`store durability across SIGKILL: ${backend.name}`, function () {
    this.timeout(120_000);

    it('keeps every create the store answered before the kill', async () => {
      const opened = await backend.open();
      try {
        const kind = backend.name === 'SQLite' ? 'sqlite' : 'postgres';
        const reported = await writeThenKill(kind, opened.location, 400);
        assert.ok(reported.length >= 400, `${reported.length} ids reported`);
        const store = await opened.reopen();
        const missing: string[] = [];
        for (const id of reported) {
          try {
            await store.read('Patient', id);
          } catch (error) {
            if (!(error instanceof FhirHttpError)) throw error;
            missing.push(id);
          }
        }
        assert.deepEqual(missing, [], 'no answered write was lost');
      } finally {
        await opened.close();
      }
    });
  });
}
