import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';

export interface GlobalOptions {
  registry?: string;
  cache?: string;
  verbose?: boolean;
}

export const DEFAULT_REGISTRY = 'https://packages.fhir.org';

export function readVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Registry and cache from options, then environment, then defaults. */
export function resolveLocations(command: Command): { registry: string; cache: string; verbose: boolean } {
  const opts = command.optsWithGlobals<GlobalOptions>();
  return {
    registry: opts.registry ?? process.env.FHIRGEN_REGISTRY ?? DEFAULT_REGISTRY,
    cache: path.resolve(opts.cache ?? process.env.FHIRGEN_CACHE ?? path.join(homedir(), '.fhir', 'packages')),
    verbose: opts.verbose === true,
  };
}
