import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The validator runtime copied into each version's `schemas/` folder: real TypeScript from
 * `runtime/`, linted and tested here, that depends on ajv and its own siblings only.
 */
export function runtimeFiles(): Map<string, string> {
  const folder = path.join(__dirname, 'runtime');
  const files = new Map<string, string>();
  for (const name of readdirSync(folder).sort()) {
    if (name.endsWith('.ts')) files.set(name, readFileSync(path.join(folder, name), 'utf8'));
  }
  return files;
}
