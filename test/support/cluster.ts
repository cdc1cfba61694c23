/**
 * Several instances of one generated, installed project behind a load balancer, as issue 8 deploys
 * them: each instance its own process on its own port of 127.0.0.1, all with the same environment
 * (shared store, shared token state, shared signing key), and the round-robin balancer of
 * `balancer.ts` in front. Instances trust exactly the balancer's address as a proxy, so that token
 * address binding sees the client's address from `X-Forwarded-For`, and use the balancer's URL as
 * their public URL, so that tokens, links and `Location` headers name one server whichever
 * instance answered.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Balancer, startBalancer } from './balancer';
import { type StartedServer, startServer } from './project';

export interface ClusterOptions {
  /** How many instances; default 2. */
  size?: number;
  /** Environment of every instance: store, token store, state folder, limits. */
  env: NodeJS.ProcessEnv;
}

export interface Cluster {
  /** The balancer's URL: the address clients use. */
  url: string;
  instances: StartedServer[];
  balancer: Balancer;
  /** Stops the balancer and every instance still running (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * The environment shared by instances on the embedded backends: one SQLite store file (WAL mode lets
 * several processes share it) and one security state folder (signing key and SQLite token store).
 */
export function embeddedEnv(folder: string): NodeJS.ProcessEnv {
  return {
    STORE: 'sqlite',
    STORE_PATH: path.join(folder, 'fhir.sqlite'),
    SECURITY_STATE_DIR: path.join(folder, 'security'),
  };
}

/** Starts the balancer, then all instances at once (they may race to create the signing key). */
export async function startCluster(dir: string, options: ClusterOptions): Promise<Cluster> {
  const balancer = await startBalancer();
  const env: NodeJS.ProcessEnv = {
    TRANSPORT: 'http',
    TRUST_PROXY: '127.0.0.1',
    PUBLIC_URL: balancer.url,
    ...options.env,
  };
  const started = await Promise.allSettled(
    Array.from({ length: options.size ?? 2 }, () => startServer(dir, env)),
  );
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  for (const instance of instances) children.add(instance.child);
  const cluster: Cluster = {
    url: balancer.url,
    instances,
    balancer,
    async stop() {
      await balancer.stop();
      await Promise.all(instances.map(stopInstance));
    },
  };
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await cluster.stop();
    throw failed.reason;
  }
  await balancer.setTargets(instances.map((instance) => instance.url));
  return cluster;
}

async function stopInstance(instance: StartedServer): Promise<void> {
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await instance.stop('SIGTERM');
  clearTimeout(timer);
  children.delete(child);
}

/** Resident memory of a process in MB, from /proc (Linux); NaN once it has exited. */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+([0-9]+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
