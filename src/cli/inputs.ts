/**
 * Resources named on the command line: JSON files, NDJSON files (https://hl7.org/fhir/R4/nd-json.html:
 * one resource per line) and folders searched recursively for both, in name order. A file that cannot
 * be read or parsed becomes an input that says why, so that the other inputs are still processed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface ResourceInput {
  file: string;
  /** Position in the file: 0 for a JSON file, the resource's line index in an NDJSON file. */
  index: number;
  json?: unknown;
  unreadable?: { code: 'structure' | 'not-found'; reason: string };
}

export function readResourceInputs(paths: string[]): ResourceInput[] {
  return paths.flatMap(readInputs);
}

/** `file` for a JSON file, `file:line` for a line of an NDJSON file. */
export function describeInput(input: ResourceInput): string {
  return /\.ndjson$/i.test(input.file) ? `${input.file}:${input.index + 1}` : input.file;
}

function readInputs(given: string): ResourceInput[] {
  let isFolder: boolean;
  try {
    isFolder = statSync(given).isDirectory();
  } catch {
    return [{ file: given, index: 0, unreadable: { code: 'not-found', reason: 'No such file or folder' } }];
  }
  if (!isFolder) return readFile(given);
  return readdirSync(given, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(nd)?json$/i.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
    .flatMap(readFile);
}

function readFile(file: string): ResourceInput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    return [
      {
        file,
        index: 0,
        unreadable: { code: 'not-found', reason: `Cannot read: ${(cause as Error).message}` },
      },
    ];
  }
  if (!/\.ndjson$/i.test(file)) return [parse(text, file, 0)];
  // Blank lines are skipped; the index counts resources, not lines.
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line, index) => parse(line, file, index));
}

function parse(text: string, file: string, index: number): ResourceInput {
  try {
    return { file, index, json: JSON.parse(text) };
  } catch (cause) {
    return {
      file,
      index,
      unreadable: { code: 'structure', reason: `Not JSON: ${(cause as Error).message}` },
    };
  }
}
