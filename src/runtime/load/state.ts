/**
 * The progress file of a bulk load: per input file (by absolute path), its size and modification
 * time when read, and the position after the last committed batch. Written after each commit (to a
 * temporary file, then renamed, so that a crash leaves the old or the new state, never half of one),
 * it lets a run after an interruption skip what is already in the store. A file whose size or time
 * changed is loaded from its start again.
 */
import { mkdirSync, readFileSync, renameSync, type Stats, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LinePosition } from './lines';

export interface FileProgress extends LinePosition {
  size: number;
  mtimeMs: number;
  /** Resources committed from this file so far, over all runs. */
  loaded: number;
  /** Invalid records reported so far, over all runs. */
  invalid: number;
  done: boolean;
}

interface StateJson {
  files: Record<string, FileProgress>;
}

export class LoadState {
  private readonly state: StateJson;

  /** `restart` ignores what the file says (and overwrites it at the first commit). */
  constructor(
    readonly file: string,
    restart = false,
  ) {
    this.state = restart ? { files: {} } : readState(file);
  }

  /** Whether an earlier run recorded progress for this input. */
  knows(input: string): boolean {
    return this.state.files[path.resolve(input)] !== undefined;
  }

  /** The committed progress of an input, or a fresh one when unknown or changed since. */
  progressOf(input: string, stats: Stats): FileProgress {
    const key = path.resolve(input);
    const known = this.state.files[key];
    if (known !== undefined && known.size === stats.size && known.mtimeMs === stats.mtimeMs) return known;
    const fresh: FileProgress = {
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      offset: 0,
      line: 0,
      loaded: 0,
      invalid: 0,
      done: false,
    };
    this.state.files[key] = fresh;
    return fresh;
  }

  save(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}

function readState(file: string): StateJson {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { files: {} };
  }
  const parsed = JSON.parse(text) as Partial<StateJson>;
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.files !== 'object') {
    throw new Error(`${file} is not a load progress file; remove it or run with --restart`);
  }
  return { files: parsed.files ?? {} };
}
