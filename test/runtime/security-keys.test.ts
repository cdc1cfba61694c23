/**
 * Several instances sharing one state folder (issue 8) start at the same moment on an empty folder:
 * exactly one signing key is created, and every instance signs with it, so that a token issued by
 * one is accepted by all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = path.join(__dirname, 'fixtures', 'security', 'key-child.ts');

describe('signing key in a shared state folder', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-keys-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is created once when several processes start at once, and all of them use it', async () => {
    const file = path.join(dir, 'security', 'signing-key.json');
    const kids = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, file]);
        return stdout.trim();
      }),
    );
    assert.equal(new Set(kids).size, 1, kids.join(' '));
    assert.match(kids[0] as string, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(readdirSync(path.dirname(file)), ['signing-key.json']);
  });
});
