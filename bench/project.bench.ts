/**
 * `npm run bench project`: the cost of the product's main job and of a generated server's start.
 * - time of `fhirgen generate project` with all three versions (median of BENCH_ROUNDS runs);
 * - time from `npm start` to the first answered request, with the bundle current and after a source
 *   changed (start bundles first), and the server's memory (RSS) with DSTU2, STU3 and R4 mounted,
 *   after one request per version.
 * The project is installed once with npm (the only step that needs the registry). Figures only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fhirgen, npmInstall, tempDir } from '../test/support/project';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  const root = tempDir('fhirgen-bench-project-');
  const generateTimes: number[] = [];
  let dir = '';
  for (let round = 0; round < ROUNDS; round++) {
    dir = path.join(root, `server-${round}`);
    const started = performance.now();
    const result = await fhirgen(['generate', 'project', dir]);
    if (result.code !== 0) throw new Error(result.stderr);
    generateTimes.push(performance.now() - started);
  }
  print('generate project (3 versions, all resources)', `${seconds(median(generateTimes))} s`, generateTimes);

  await npmInstall(dir);
  // `npm start` bundles only when a source is newer than dist/server.js: time both cases, a start
  // after a source changed (as the first start after generating) and a start with the bundle current.
  const rebuildTimes: number[] = [];
  const startTimes: number[] = [];
  const memory: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const now = new Date();
    utimesSync(path.join(dir, 'src', 'server.ts'), now, now);
    rebuildTimes.push((await timeStart(dir)).ms);
    const { ms, rss } = await timeStart(dir);
    startTimes.push(ms);
    memory.push(rss);
  }
  print('npm start -> first answered request', `${seconds(median(startTimes))} s`, startTimes);
  print('  the same after a source changed (bundles)', `${seconds(median(rebuildTimes))} s`, rebuildTimes);
  print('server memory (RSS), 3 versions mounted', `${Math.round(median(memory))} MB`, memory, 'MB');
}

/** Runs `npm start` on a free port and polls `/r4/metadata` until it answers. */
async function timeStart(dir: string): Promise<{ ms: number; rss: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', STORE: 'memory' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await waitForAnswer(`http://127.0.0.1:${port}/r4/metadata`, child).catch((error: Error) => {
      throw new Error(`${error.message}; npm start printed:\n${output}`);
    });
    const ms = performance.now() - started;
    for (const version of ['dstu2', 'stu3', 'r4'])
      await fetch(`http://127.0.0.1:${port}/${version}/Patient?_count=1`);
    return { ms, rss: serverRss(child) };
  } finally {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  }
}

async function waitForAnswer(url: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 120_000;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String((error as { cause?: { code?: string } }).cause?.code ?? error);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the server did not answer within 120 s (last: ${last.slice(0, 300)})`);
}

/** RSS of the node process that `npm start` runs (`node scripts/start.cjs`, which runs the bundle in itself). */
function serverRss(child: ChildProcess): number {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,rss=,args='], { encoding: 'utf8' });
  const line = out
    .split('\n')
    .map((row) => row.trim().split(/\s+/))
    .find(
      (cols) =>
        Number(cols[1]) === child.pid &&
        /(^|\/)node$/.test(cols[3] ?? '') &&
        /scripts\/start\.cjs|dist\/server\.js/.test(cols.slice(4).join(' ')),
    );
  return line ? Number(line[2]) / 1024 : Number.NaN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function print(label: string, value: string, samples: number[], unit = 'ms'): void {
  process.stdout.write(
    `${label.padEnd(48)} ${value.padStart(9)}   (${samples.map((s) => `${Math.round(s)} ${unit}`).join(', ')})\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
