/**
 * A throwaway PostgreSQL cluster for tests: `initdb` in a temp folder, listening on 127.0.0.1 on a
 * port chosen at run time and on a socket in the same folder, with fsync off (its data dies with the
 * run). One cluster per mocha run, shared by every suite; each `startPostgres()` gets a fresh
 * database of its own, so suites stay independent. The cluster is stopped and removed at exit.
 *
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/<fresh database>` */
  url: string;
  /** Drops this suite's database (the cluster lives on for the other suites). */
  stop(): Promise<void>;
  /** Stops the cluster's server (fast shutdown: sessions are cut), as an outage would. */
  halt(): Promise<void>;
  /** Starts the server again on the same port and data, after `halt()`; stops it first if it runs. */
  restart(): Promise<void>;
}

interface Cluster {
  dir: string;
  port: number;
  bin: string;
  user: { uid: number; gid: number } | undefined;
}

let cluster: Promise<Cluster> | undefined;
let made: Cluster | undefined;
let databases = 0;

export async function startPostgres(): Promise<TestPostgres> {
  cluster ??= makeCluster();
  const started = await cluster;
  const name = `fhirgen_${process.pid}_${++databases}`;
  await admin(started, `CREATE DATABASE ${name}`);
  return {
    url: `postgres://postgres@127.0.0.1:${started.port}/${name}`,
    stop: () => admin(started, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    halt: () => pgCtl(started, ['stop', '-m', 'fast', '-w']),
    async restart() {
      if (await running(started)) await pgCtl(started, ['stop', '-m', 'fast', '-w']);
      await startServer(started);
    },
  };
}

/** The newest installed server's bin folder (`/usr/lib/postgresql/<version>/bin`). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(path.join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error('PostgreSQL server binaries not found: run scripts/install-test-servers');
  }
  return path.join(root, newest, 'bin');
}

async function makeCluster(): Promise<Cluster> {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fhirgen-pg-'));
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (user) chownSync(dir, user.uid, user.gid);
  const created: Cluster = { dir, port: 0, bin, user };
  made = created;
  process.on('exit', removeCluster);
  // A run stopped by a signal skips 'exit': remove the cluster, then die of the same signal.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeCluster();
      process.kill(process.pid, signal);
    });
  }
  await as(created, path.join(bin, 'initdb'), [
    '-D',
    path.join(dir, 'data'),
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  await startServer(created);
  return created;
}

async function startServer(target: Cluster): Promise<void> {
  // The port is chosen when first started, and kept, so that restarted servers answer the same URL.
  for (let attempt = 0; ; attempt++) {
    if (target.port === 0 || attempt > 0) target.port = await freePort();
    try {
      await pgCtl(target, [
        'start',
        '-w',
        '-l',
        path.join(target.dir, 'server.log'),
        '-o',
        `-p ${target.port} -h 127.0.0.1 -k ${target.dir} -F -c full_page_writes=off -c synchronous_commit=off`,
      ]);
      return;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
}

function pgCtl(target: Cluster, args: string[]): Promise<void> {
  return as(target, path.join(target.bin, 'pg_ctl'), ['-D', path.join(target.dir, 'data'), ...args]);
}

async function running(target: Cluster): Promise<boolean> {
  try {
    await pgCtl(target, ['status']);
    return true;
  } catch {
    return false;
  }
}

async function as(target: Cluster, command: string, args: string[]): Promise<void> {
  const [file, argv] = target.user
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  try {
    await run(file, argv, { cwd: target.dir });
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`${path.basename(command)} ${args[0] ?? ''} failed: ${failed.stderr || failed.message}`);
  }
}

async function admin(target: Cluster, statement: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port: target.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function postgresUser(): { uid: number; gid: number } {
  const [uid, gid] = ['-u', '-g'].map((flag) =>
    Number(execFileSync('id', [flag, 'postgres']).toString().trim()),
  );
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    throw new Error('no postgres system user to run PostgreSQL as');
  return { uid: uid as number, gid: gid as number };
}

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

function removeCluster(): void {
  if (made === undefined) return;
  const ctl = path.join(made.bin, 'pg_ctl');
  const args = ['-D', path.join(made.dir, 'data'), 'stop', '-m', 'immediate'];
  try {
    if (made.user) execFileSync('runuser', ['-u', 'postgres', '--', ctl, ...args], { stdio: 'ignore' });
    else execFileSync(ctl, args, { stdio: 'ignore' });
  } catch {
    // Already stopped.
  }
  rmSync(made.dir, { recursive: true, force: true });
  made = undefined;
}
