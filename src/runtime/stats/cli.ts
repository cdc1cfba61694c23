/**
 * `npm run store:stats [-- --json]`: what the configured store holds, per resource type and per
 * table (see store-stats.ts), as a table or as JSON. Read-only: it may run while the server runs.
 */
import path from 'node:path';
import { projectConfig } from '../app/run';
import type { VersionModule } from '../app/types';
import { ConfigError } from '../config';
import { createStore } from '../store/create-store';
import { type StoreStats, storeStats } from './store-stats';

export interface StatsRun {
  projectDir: string;
  versions: VersionModule[];
  args: string[];
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export async function runStats(run: StatsRun): Promise<number> {
  const stdout = run.stdout ?? process.stdout;
  const stderr = run.stderr ?? process.stderr;
  const unknown = run.args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    stderr.write(`unknown argument ${unknown.join(' ')}\nusage: npm run store:stats [-- --json]\n`);
    return 2;
  }
  let config: ReturnType<typeof projectConfig>;
  try {
    config = projectConfig({
      projectDir: run.projectDir,
      versions: run.versions,
      ...(run.env ? { env: run.env } : {}),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr.write(`${error.message}\n`);
    return 2;
  }
  const store = createStore(config.store);
  try {
    const stats = await storeStats(store);
    stdout.write(run.args.includes('--json') ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
    return 0;
  } finally {
    await store.close();
  }
}

/** Aligned columns: types first, then tables, then the file size. */
export function formatStats(stats: StoreStats): string {
  const lines: string[][] = [
    ['type', 'resources', 'deleted', 'versions', 'JSON', 'older versions', 'index rows'],
  ];
  for (const type of stats.types) {
    lines.push([
      type.resourceType,
      String(type.resources),
      String(type.deleted),
      String(type.versions),
      size(type.jsonBytes),
      size(type.olderVersionBytes),
      String(type.indexRows),
    ]);
  }
  const tables: string[][] = [['table', 'rows', 'size with indexes']];
  for (const table of stats.tables) {
    tables.push([table.name, String(table.rows), table.bytes === undefined ? '?' : size(table.bytes)]);
  }
  const out = [`${stats.kind} store`, '', ...columns(lines), '', ...columns(tables)];
  if (stats.fileBytes !== undefined)
    out.push('', `file (with its write-ahead log): ${size(stats.fileBytes)}`);
  return `${out.join('\n')}\n`;
}

function columns(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
  );
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

if (require.main === module) {
  // The project's versions, found at run time: this file is copied into projects, where src/fhir/ is.
  const projectDir = path.resolve(__dirname, '..', '..', '..');
  const { versions } = require(path.join(projectDir, 'src', 'fhir', 'versions')) as {
    versions: VersionModule[];
  };
  runStats({ projectDir, versions, args: process.argv.slice(2) }).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
