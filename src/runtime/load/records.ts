/**
 * The resources of one input file, one record at a time, each with where it is (`file:line` for
 * messages) and the position a later run resumes after it. Two kinds of file:
 *
 * - NDJSON (any name not ending in `.json`), as FHIR Bulk Data writes it
 *   (https://hl7.org/fhir/uv/bulkdata/export.html, https://hl7.org/fhir/R4/nd-json.html): one
 *   resource a line, streamed; blank lines are skipped but counted;
 * - a JSON file (`.json`): one resource, or a Bundle whose entries' resources are loaded. A JSON
 *   document cannot be split before it is parsed, so it is read whole: big loads belong in NDJSON.
 */
import { readFileSync } from 'node:fs';
import { type LinePosition, readLines } from './lines';

export interface LoadRecord {
  /** `file:line` for an NDJSON line, `file:entry N` for a Bundle entry, `file` for a single resource. */
  where: string;
  /** Where the next run starts once this record is committed. */
  after: LinePosition;
  /** The line as read (NDJSON), parsed by the loader. */
  text?: string;
  /** The resource, already parsed (JSON files). */
  json?: unknown;
  /** Why the record holds no resource (an unreadable file, a Bundle entry without a resource). */
  problem?: string;
}

export function isNdjson(file: string): boolean {
  return !/\.json$/i.test(file);
}

/** Records after `from` (a position committed by an earlier run). */
export function readRecords(file: string, from: LinePosition): AsyncGenerator<LoadRecord> {
  return isNdjson(file) ? ndjsonRecords(file, from) : documentRecords(file, from);
}

async function* ndjsonRecords(file: string, from: LinePosition): AsyncGenerator<LoadRecord> {
  for await (const line of readLines(file, from)) {
    if (line.text.trim() === '') continue;
    yield {
      where: `${file}:${line.number}`,
      after: { offset: line.end, line: line.number },
      text: line.text,
    };
  }
}

/** A JSON file's records; `after.line` counts entries (a single resource is entry 1). */
async function* documentRecords(file: string, from: LinePosition): AsyncGenerator<LoadRecord> {
  const bytes = readFileSync(file);
  const size = bytes.length;
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    yield { where: file, after: { offset: size, line: 1 }, problem: `Not JSON: ${(error as Error).message}` };
    return;
  }
  const bundle = document as { resourceType?: unknown; entry?: unknown };
  if (bundle?.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    if (from.line < 1) yield { where: file, after: { offset: size, line: 1 }, json: document };
    return;
  }
  const entries = bundle.entry as { resource?: unknown }[];
  for (let index = from.line; index < entries.length; index += 1) {
    const number = index + 1;
    // The byte offset only drives the progress bar here: the share of entries done.
    const after = { offset: Math.round((size * number) / entries.length), line: number };
    const resource = entries[index]?.resource;
    yield resource === undefined
      ? { where: `${file}:entry ${number}`, after, problem: 'The Bundle entry has no resource' }
      : { where: `${file}:entry ${number}`, after, json: resource };
  }
}
