/**
 * Bulk load: resources from NDJSON (or Bundle JSON) files into the configured store, through its
 * public interface only, so that the search index is filled as by any write. Each record is parsed
 * and validated with the version's validator; valid ones are written in batches, one store
 * transaction a batch (see batch.ts). After each commit the progress file records the position
 * reached: an interruption loses at most the batch in progress, and the next run resumes there.
 * Invalid records never stop the load; they are reported once, after their batch commits, so that a
 * resumed run does not report them twice.
 */
import { statSync } from 'node:fs';
import type { OutcomeIssue, ResourceJson, VersionBinding } from '../binding';
import type { ResourceStore } from '../store/types';
import { BatchWriter, type Pending } from './batch';
import { type LoadRecord, readRecords } from './records';
import type { FileProgress, LoadState } from './state';

export const DEFAULT_BATCH_SIZE = 1000;
/** Below SQLite's busy timeout (5 s), which a server writing beside the load waits at most. */
export const DEFAULT_MAX_BATCH_MS = 1000;

export interface InvalidRecord {
  /** `file:line` (or `file:entry N`). */
  where: string;
  issues: OutcomeIssue[];
}

export interface LoadProgress {
  file: string;
  /** Bytes committed (or skipped as invalid) over all files, and their total size. */
  bytesDone: number;
  bytesTotal: number;
  /** In this run. */
  loaded: number;
  invalid: number;
  seconds: number;
}

export interface LoadSummary {
  /** Resources written and records found invalid in this run. */
  loaded: number;
  invalid: number;
  /** Resources and invalid records of the given files loaded by earlier, interrupted runs. */
  loadedBefore: number;
  invalidBefore: number;
  /** Files loaded completely by an earlier run, and skipped. */
  skipped: string[];
  seconds: number;
  /** True when `signal` stopped the load before its end. */
  interrupted: boolean;
}

export interface LoadOptions {
  store: ResourceStore;
  /** The version's validator and resource types. */
  binding: Pick<VersionBinding, 'validate' | 'resourceTypes'>;
  files: string[];
  state: LoadState;
  /** Resources per store transaction, at most. */
  batchSize?: number;
  /** How long a store transaction may stay open, at most (ms). */
  maxBatchMs?: number;
  onInvalid?: (record: InvalidRecord) => void;
  /** After each committed batch. */
  onProgress?: (progress: LoadProgress) => void;
  /** Stops the load at the next record: what was read is committed, the rest left for the next run. */
  signal?: AbortSignal;
}

export async function loadFiles(options: LoadOptions): Promise<LoadSummary> {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const summary: LoadSummary = {
    loaded: 0,
    invalid: 0,
    loadedBefore: 0,
    invalidBefore: 0,
    skipped: [],
    seconds: 0,
    interrupted: false,
  };
  const progresses = options.files.map((file) => options.state.progressOf(file, statSync(file)));
  const bytesTotal = progresses.reduce((sum, progress) => sum + progress.size, 0);
  let bytesDone = progresses.reduce(
    (sum, progress) => sum + (progress.done ? progress.size : progress.offset),
    0,
  );
  for (const progress of progresses) {
    summary.loadedBefore += progress.loaded;
    summary.invalidBefore += progress.invalid;
  }

  const writer = new BatchWriter(options.store, options.maxBatchMs ?? DEFAULT_MAX_BATCH_MS);
  try {
    for (const [index, file] of options.files.entries()) {
      const progress = progresses[index] as FileProgress;
      if (progress.done) {
        summary.skipped.push(file);
        continue;
      }
      let invalid: InvalidRecord[] = [];
      let reached = { offset: progress.offset, line: progress.line };
      const commit = async () => {
        const written = await writer.commit();
        summary.loaded += written;
        summary.invalid += invalid.length;
        progress.loaded += written;
        progress.invalid += invalid.length;
        bytesDone += reached.offset - progress.offset;
        progress.offset = reached.offset;
        progress.line = reached.line;
        options.state.save();
        for (const record of invalid) options.onInvalid?.(record);
        invalid = [];
        options.onProgress?.({
          file,
          bytesDone,
          bytesTotal,
          loaded: summary.loaded,
          invalid: summary.invalid,
          seconds: seconds(),
        });
      };
      for await (const record of readRecords(file, reached)) {
        const checked = check(record, options.binding);
        if ('issues' in checked) invalid.push(checked);
        else invalid.push(...(await writer.add(checked)));
        reached = record.after;
        if (writer.size >= batchSize || writer.due) await commit();
        if (options.signal?.aborted) break;
      }
      if (writer.size > 0 || invalid.length > 0 || reached.offset !== progress.offset) await commit();
      if (options.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      progress.done = true;
      options.state.save();
    }
  } finally {
    await writer.abandon();
  }
  summary.seconds = seconds();
  return summary;
}

/** The record's resource when it is valid for the version; otherwise why not. */
function check(record: LoadRecord, binding: LoadOptions['binding']): Pending | InvalidRecord {
  const { where } = record;
  if (record.problem !== undefined) return { where, issues: [problem('structure', record.problem)] };
  let json = record.json;
  if (record.text !== undefined) {
    try {
      json = JSON.parse(record.text);
    } catch (error) {
      return { where, issues: [problem('structure', `Not JSON: ${(error as Error).message}`)] };
    }
  }
  const type = (json as { resourceType?: unknown } | null)?.resourceType;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof type !== 'string') {
    return { where, issues: [problem('structure', 'Not a resource: a JSON object with a resourceType')] };
  }
  if (!binding.resourceTypes.includes(type)) {
    return {
      where,
      issues: [problem('not-supported', `${type} is not a resource type of this FHIR version`)],
    };
  }
  const issues = binding
    .validate(json)
    .filter((entry) => entry.severity === 'error' || entry.severity === 'fatal');
  return issues.length > 0 ? { where, issues } : { where, resource: json as ResourceJson };
}

function problem(code: string, diagnostics: string): OutcomeIssue {
  return { severity: 'error', code, diagnostics };
}

/** `file:line: message (path); message (path)` */
export function describeInvalid(record: InvalidRecord): string {
  const messages = record.issues.map((entry) => {
    const at = entry.expression ?? entry.location;
    const text = entry.diagnostics ?? entry.code;
    return at === undefined || at.length === 0 ? text : `${text} (${at.join(', ')})`;
  });
  return `${record.where}: ${messages.join('; ')}`;
}

/** The record as an OperationOutcome (one NDJSON line of `--errors`), each diagnostic prefixed by where. */
export function invalidOutcome(record: InvalidRecord): Record<string, unknown> {
  return {
    resourceType: 'OperationOutcome',
    issue: record.issues.map((entry) => ({
      ...entry,
      diagnostics: `${record.where}: ${entry.diagnostics ?? entry.code}`,
    })),
  };
}
