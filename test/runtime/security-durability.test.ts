import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashSecret } from '../../src/runtime/security/secrets';
import { CHEAP } from './fixtures/security/harness';
import { basic, form, send } from './fixtures/security/http';

/**
 * SECURITY.md "Durability": revoke tokens, kill the server with SIGKILL, restart it on the same
 * folder: the revoked tokens stay revoked, the others (and the signing key) stay valid.
 */
const CHILD = path.join(__dirname, 'fixtures', 'security', 'server-child.ts');

async function start(dir: string, hash: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, hash], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
}

describe('security durability across SIGKILL', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-sec-durable-'));
  let running: ChildProcess | undefined;
  after(async () => {
    if (running && running.exitCode === null && running.signalCode === null) await kill(running);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps revoked tokens revoked and valid tokens valid after a SIGKILL and a restart', async () => {
    const hash = await hashSecret('s', CHEAP);
    const first = await start(dir, hash);
    running = first.child;
    const issue = async (client: string) => {
      const response = await send(`${first.url}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client, 's') },
        body: form({ grant_type: 'client_credentials' }),
      });
      return (JSON.parse(response.text) as { access_token: string }).access_token;
    };
    const revoked = await issue('a');
    const kept = await issue('b');
    const revoke = await send(`${first.url}/auth/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic('a', 's') },
      body: form({ token: revoked }),
    });
    assert.equal(revoke.status, 200);
    await kill(first.child);

    const second = await start(dir, hash);
    running = second.child;
    const read = (token: string) =>
      send(`${second.url}/r4/Observation/o1`, { headers: { Authorization: `Bearer ${token}` } });
    const refused = await read(revoked);
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /error_description="token revoked"/);
    assert.equal((await read(kept)).status, 200);
    await kill(second.child);
  });
});
