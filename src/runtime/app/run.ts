/**
 * Starting a generated project: its config file (`fhirgen.config.json`) overlaid by the environment,
 * its versions and services, the embedded store inside the project folder. `runServer` is what
 * `npm start` calls; `startProject` is the same without the process handling, for tests.
 */
import path from 'node:path';
import { ConfigError, loadConfig, type ServerConfig } from '../config';
import { type RunningServer, startServer, type VersionSetup } from '../server';
import type { VersionModule } from './types';

export const CONFIG_FILE = 'fhirgen.config.json';

export interface ProjectOptions {
  /** The project folder: where the config file is, and what a relative store path is relative to. */
  projectDir: string;
  versions: VersionModule[];
  /** Environment variables; default `process.env`. Tests pass `{ PORT: '0', STORE: 'memory' }`. */
  env?: NodeJS.ProcessEnv;
}

export type { RunningServer };

export function projectConfig(options: ProjectOptions): ServerConfig {
  const available = Object.fromEntries(
    options.versions.map((version) => [version.binding.id, version.basePath]),
  );
  const config = loadConfig({
    file: path.join(options.projectDir, CONFIG_FILE),
    env: options.env ?? process.env,
    available,
  });
  if (config.store.kind === 'sqlite') {
    config.store = { kind: 'sqlite', path: path.resolve(options.projectDir, config.store.path) };
  }
  return config;
}

export async function startProject(
  options: ProjectOptions,
  config: ServerConfig = projectConfig(options),
): Promise<RunningServer> {
  const versions: Record<string, VersionSetup> = {};
  for (const version of options.versions) {
    versions[version.binding.id] = {
      binding: version.binding,
      services: (store) => version.createServices({ store }),
    };
  }
  return startServer({ config, versions });
}

/** `npm start`: start, say where, stop cleanly on SIGINT/SIGTERM; a bad config exits 1 with its problems. */
export function runServer(options: ProjectOptions): void {
  let config: ServerConfig;
  try {
    config = projectConfig(options);
  } catch (error) {
    fail(error);
    return;
  }
  startProject(options, config).then((running) => {
    process.stdout.write(`FHIR server listening on ${running.url}\n`);
    for (const version of options.versions) {
      const base = running.url + (config.basePaths[version.binding.id] ?? '');
      if (config.versions.includes(version.binding.id)) {
        process.stdout.write(`  ${version.binding.label.padEnd(6)} ${base}/metadata\n`);
      }
    }
    const stop = () => {
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }, fail);
}

function fail(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\nEdit ${CONFIG_FILE} or the environment and start again.\n`);
  } else {
    process.stderr.write(`The server could not start: ${(error as Error).message}\n`);
  }
  process.exit(1);
}
