/**
 * Generated projects for end-to-end tests: generated into a temp folder by the real CLI, installed
 * with npm (the only step that needs the npm registry), started as a child process on a free port on
 * 127.0.0.1, and stopped by the test. Generating and installing a project takes a while, so a project
 * with a given set of options is made once per mocha run and shared.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { create as createTar } from 'tar';

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO_ROOT, 'bin', 'fhirgen');

export interface TestProject {
  dir: string;
  /** The CLI's stdout and stderr while generating. */
  output: string;
}

const projects = new Map<string, Promise<TestProject>>();
const temps: string[] = [];
process.on('exit', () => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Runs `bin/fhirgen` with arguments; resolves with its exit code and output, never rejects on exit codes. */
export async function fhirgen(
  args: string[],
  cwd = REPO_ROOT,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Generates (with `args` after the folder) and installs a project; shared per distinct `args`. */
export function installedProject(args: string[]): Promise<TestProject> {
  const key = args.join(' ');
  let project = projects.get(key);
  if (!project) {
    project = makeProject(args);
    project.catch(() => projects.delete(key));
    projects.set(key, project);
  }
  return project;
}

async function makeProject(args: string[]): Promise<TestProject> {
  const dir = path.join(tempDir('fhirgen-e2e-'), 'server');
  const generated = await fhirgen(['generate', 'project', dir, ...args]);
  if (generated.code !== 0)
    throw new Error(`generate project failed (${generated.code}): ${generated.stderr}`);
  await npmInstall(dir);
  await buildProject(dir);
  return { dir, output: generated.stdout + generated.stderr };
}

/**
 * `npm install` in a generated project, with a temporary npm cache. better-sqlite3 has no reachable
 * prebuilt binary here and would compile SQLite from source for minutes; the temporary cache is seeded
 * with the binary this checkout already built, in the place where prebuild-install looks for a cached
 * download. Any mismatch (other version, other ABI) just falls back to compiling.
 */
export async function npmInstall(dir: string): Promise<void> {
  const cache = tempDir('fhirgen-npm-cache-');
  await seedSqlitePrebuild(cache);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    env: { ...process.env, npm_config_cache: cache },
    maxBuffer: 64 * 1024 * 1024,
  });
}

async function seedSqlitePrebuild(cache: string): Promise<void> {
  const packageDir = path.join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  const binary = path.join(packageDir, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return;
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const url = `https://github.com/WiseLibs/better-sqlite3/releases/download/v${version}/${name}`;
  const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
  const target = path.join(cache, '_prebuilds', `${digest}-${name.replace(/[^a-zA-Z0-9.]+/g, '-')}`);
  mkdirSync(path.dirname(target), { recursive: true });
  await createTar({ gzip: true, file: target, cwd: packageDir, portable: true }, [
    'build/Release/better_sqlite3.node',
  ]);
}

export interface StartedServer {
  url: string;
  child: ChildProcess;
  /** Everything the server printed so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `npm run build`: bundles the project's `src/` into `dist/server.js`, as `npm start` does first. */
export async function buildProject(dir: string): Promise<void> {
  await run('npm', ['run', 'build', '--silent'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
}

/**
 * What `npm start` runs after its build, with PORT=0; resolves once the server prints the address it
 * listens on. Call `buildProject` after changing the project's sources.
 */
export function startServer(dir: string, env: NodeJS.ProcessEnv = {}): Promise<StartedServer> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/server.js'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[0-9.]+:[0-9]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          child,
          output: () => output,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${output}`));
    });
  });
}
