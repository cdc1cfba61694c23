/**
 * A throwaway Redis for tests: Debian's `redis-server` on a port of 127.0.0.1 chosen at run time, no
 * persistence (no RDB snapshots, no append-only file), its working folder a temp folder. `stop()` and
 * `start()` take it down and bring it back on the same port (with empty data, as a Redis without
 * persistence restarts); whatever is still running when the test process exits is killed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestRedis {
  /** `redis://127.0.0.1:<port>/0` */
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const running = new Set<ChildProcess>();
const folders: string[] = [];
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

export const REDIS_MISSING = 'redis-server not found: run scripts/install-test-servers';

export async function startRedis(): Promise<TestRedis> {
  if (spawnSync('redis-server', ['--version']).error) throw new Error(REDIS_MISSING);
  const dir = mkdtempSync(path.join(tmpdir(), 'fhirgen-redis-'));
  folders.push(dir);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    async start() {
      if (child) return;
      child = await launch(port, dir);
    },
    async stop() {
      const stopping = child;
      child = undefined;
      if (stopping) await terminate(stopping);
    },
  };
  await redis.start();
  return redis;
}

/** A port that was free a moment ago (redis-server cannot pick one itself: its port 0 means no TCP). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  // DEBUG SLEEP lets a test stall the server as a hung Redis would (it listens on loopback only).
  // `--save ""` comes last: redis-server 7.0 reads the options after an empty value wrongly.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'no'];
  args.push('--enable-debug-command', 'yes', '--save', '');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 10 s:\n${output}`));
    }, 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`));
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
