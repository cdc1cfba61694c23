/**
 * The key that seals search paging cursors (`_cursor` in next/previous links). Kept in a file in the
 * state folder, or given as `SEARCH_CURSOR_KEY`, so that links stay valid across restarts and on every
 * instance behind a load balancer that shares the folder or the variable.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config';

export const CURSOR_KEY_FILE = 'cursor-key';
const KEY_BYTES = 32;

/** `SEARCH_CURSOR_KEY` (32 bytes, base64url) when set; otherwise the key file in `stateDir`, created once. */
export function loadCursorKey(stateDir: string, env: NodeJS.ProcessEnv): Buffer {
  const given = env.SEARCH_CURSOR_KEY;
  if (given !== undefined) return decode(given, 'SEARCH_CURSOR_KEY');
  const file = path.join(stateDir, CURSOR_KEY_FILE);
  const existing = readKey(file);
  if (existing !== undefined) return existing;
  const key = randomBytes(KEY_BYTES);
  // Written beside the target and hard-linked into place: when two instances start at once with an
  // empty folder, the link of one fails and it reads the other's key, so both seal alike.
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // Random, not only the pid: instances in containers sharing the folder may all be process 1.
  const temp = `${file}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
  writeFileSync(temp, `${key.toString('base64url')}\n`, { mode: 0o600 });
  try {
    linkSync(temp, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError([`cannot write the search cursor key ${file}: ${(error as Error).message}`]);
    }
    return readKey(file) ?? key;
  } finally {
    rmSync(temp, { force: true });
  }
}

function readKey(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError([`cannot read the search cursor key ${file}: ${(error as Error).message}`]);
  }
  return decode(text.trim(), file);
}

function decode(text: string, source: string): Buffer {
  const key = Buffer.from(text, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(text) || key.length !== KEY_BYTES) {
    throw new ConfigError([
      `${source} must hold a ${KEY_BYTES}-byte key in base64url (make one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`,
    ]);
  }
  return key;
}
