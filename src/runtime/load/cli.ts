/**
 * `npm run load -- <files...> [--fhir <version>] [--batch <n>] [--state <file>] [--restart]
 * [--errors <file>]`: loads NDJSON (or Bundle JSON) files into the store `fhirgen.config.json` and
 * the environment configure (`STORE`, `STORE_PATH`, `STORE_URL`), as the server would store them,
 * search index included. It may run while the server runs: SQLite lets the second writer wait for
 * the other's commits (busy_timeout), PostgreSQL serves both.
 *
 * Exit codes: 0 all loaded, 1 some records invalid (listed on stderr as `file:line: message`),
 * 2 usage errors (a missing file, an unknown version), 130 interrupted (run it again to resume).
 */
import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { projectConfig, servedVersions } from '../app/run';
import { readSearchSettings, wireSearch } from '../app/search';
import type { VersionModule } from '../app/types';
import { ConfigError, type ServerConfig } from '../config';
import { createStore } from '../store/create-store';
import type { ResourceStore } from '../store/types';
import { DEFAULT_BATCH_SIZE, describeInvalid, invalidOutcome, loadFiles } from './loader';
import { createReporter, summaryLine } from './progress';
import { LoadState } from './state';

export const USAGE =
  'usage: npm run load -- <file.ndjson|bundle.json> ... [--fhir <version>] [--batch <n>] [--state <file>] [--restart] [--errors <file.ndjson>]';

export interface LoadArguments {
  files: string[];
  fhir?: string;
  batch: number;
  state?: string;
  restart: boolean;
  errors?: string;
}

export class UsageError extends Error {}

export function parseLoadArguments(args: string[]): LoadArguments {
  const parsed: LoadArguments = { files: [], batch: DEFAULT_BATCH_SIZE, restart: false };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    const value = () => {
      index += 1;
      const given = args[index];
      if (given === undefined || given.startsWith('--'))
        throw new UsageError(`${arg} needs a value\n${USAGE}`);
      return given;
    };
    if (arg === '--fhir') parsed.fhir = value().toLowerCase();
    else if (arg === '--state') parsed.state = value();
    else if (arg === '--errors') parsed.errors = value();
    else if (arg === '--restart') parsed.restart = true;
    else if (arg === '--batch') {
      const text = value();
      parsed.batch = Number(text);
      if (!Number.isInteger(parsed.batch) || parsed.batch < 1 || parsed.batch > 100_000) {
        throw new UsageError(`--batch must be an integer from 1 to 100000, got ${text}`);
      }
    } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}\n${USAGE}`);
    else parsed.files.push(arg);
  }
  if (parsed.files.length === 0) throw new UsageError(`name at least one file to load\n${USAGE}`);
  return parsed;
}

export interface LoadRun {
  projectDir: string;
  versions: VersionModule[];
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where relative file names are relative to (npm runs scripts in the project folder). */
  cwd?: string;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  signal?: AbortSignal;
}

/** Runs a load and returns its exit code; usage errors are printed with what to do. */
export async function runLoad(run: LoadRun): Promise<number> {
  const stdout = run.stdout ?? process.stdout;
  const stderr = run.stderr ?? process.stderr;
  let setup: Awaited<ReturnType<typeof prepare>>;
  try {
    setup = prepare(run);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ConfigError)) throw error;
    stderr.write(`${error.message}\n`);
    return 2;
  }
  const { args, files, binding, versions, config } = setup;
  const store = await openStore(config, versions);
  const reporter = createReporter(stderr);
  let errors: WriteStream | undefined;
  try {
    const state = new LoadState(setup.statePath, args.restart);
    if (args.errors !== undefined) {
      const resuming = !args.restart && files.some((file) => state.knows(file));
      errors = createWriteStream(path.resolve(setup.cwd, args.errors), { flags: resuming ? 'a' : 'w' });
    }
    const summary = await loadFiles({
      store,
      binding,
      files,
      state,
      batchSize: args.batch,
      onInvalid: (record) => {
        reporter.line(describeInvalid(record));
        errors?.write(`${JSON.stringify(invalidOutcome(record))}\n`);
      },
      onProgress: (progress) => reporter.progress(progress),
      ...(run.signal === undefined ? {} : { signal: run.signal }),
    });
    reporter.stop();
    stdout.write(`${summaryLine(summary)}\n`);
    if (summary.interrupted) {
      stderr.write(`Interrupted: run the same command again to resume (progress in ${setup.statePath}).\n`);
      return 130;
    }
    return summary.invalid + summary.invalidBefore > 0 ? 1 : 0;
  } finally {
    reporter.stop();
    if (errors !== undefined) await new Promise((resolve) => errors?.end(resolve));
    await store.close();
  }
}

/**
 * The configured store with the search index wired as the server wires it (the served versions'
 * parameters, so that the server finds its index current at its next start), reindexed if stale;
 * that also makes the index tables before the first write.
 */
export async function openStore(config: ServerConfig, versions: VersionModule[]): Promise<ResourceStore> {
  const search = wireSearch(servedVersions(versions, config), readSearchSettings(config.sections.search));
  const store = createStore(config.store, search.store);
  try {
    await search.reindexIfStale(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function prepare(run: LoadRun) {
  const args = parseLoadArguments(run.args);
  const cwd = run.cwd ?? process.cwd();
  const config = projectConfig({
    projectDir: run.projectDir,
    versions: run.versions,
    ...(run.env ? { env: run.env } : {}),
  });
  const id = args.fhir ?? config.versions[0];
  const version = run.versions.find((candidate) => candidate.binding.id === id);
  if (version === undefined) {
    const known = run.versions.map((candidate) => candidate.binding.id).join(', ');
    throw new UsageError(`--fhir ${id}: this project has no such FHIR version; choose one of ${known}`);
  }
  if (config.store.kind === 'memory') {
    throw new UsageError('STORE=memory keeps nothing after the load: load into sqlite or postgres');
  }
  const files = args.files.map((file) => path.resolve(cwd, file));
  for (const [index, file] of files.entries()) {
    let isFile = false;
    try {
      isFile = statSync(file).isFile();
    } catch {}
    if (!isFile)
      throw new UsageError(`${args.files[index]}: no such file; name NDJSON or Bundle JSON files to load`);
  }
  const statePath =
    args.state !== undefined
      ? path.resolve(cwd, args.state)
      : config.store.kind === 'sqlite'
        ? `${config.store.path}.load-state.json`
        : path.join(run.projectDir, 'data', 'load-state.json');
  return { args, cwd, config, files, binding: version.binding, versions: run.versions, statePath };
}

if (require.main === module) {
  // The project's versions, found at run time: this file is copied into projects, where src/fhir/ is.
  const projectDir = path.resolve(__dirname, '..', '..', '..');
  const { versions } = require(path.join(projectDir, 'src', 'fhir', 'versions')) as {
    versions: VersionModule[];
  };
  const controller = new AbortController();
  process.on('SIGINT', () => {
    // A second Ctrl-C means now: the batch in progress is rolled back by the store, and redone next run.
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nStopping after the batch in progress (Ctrl-C again to stop now)...\n');
    controller.abort();
  });
  runLoad({
    projectDir,
    versions,
    args: process.argv.slice(2),
    // npm runs scripts in the project folder; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
    signal: controller.signal,
  }).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`The load stopped: ${error.message}\nRun the same command again to resume.\n`);
      process.exit(1);
    },
  );
}
