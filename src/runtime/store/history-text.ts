/**
 * How the embedded store keeps the text of versions that are no longer current. The current version's
 * text is held once, in `resources`; its history row holds none and stands for it. When a newer version
 * is written, the older text moves to its history row, deflated (raw DEFLATE, zlib level 1) when that
 * saves at least a tenth: history is read rarely (vread, `_history`), and a FHIR resource's JSON,
 * with its repeated keys, shrinks to about a quarter to a third.
 *
 * The column is typed by its value (https://sqlite.org/datatype3.html): TEXT is JSON as written
 * (the previous layout's rows too), a BLOB is deflated JSON.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** What a history row holds: JSON text, deflated JSON, or nothing (a deletion, or the current version). */
export type HistoryText = string | Buffer | null;

/** The text to keep in a history row once a newer version is written. */
export function packHistoryText(text: string): string | Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const packed = deflateRawSync(bytes, { level: 1 });
  return packed.length <= bytes.length * 0.9 ? packed : text;
}

/** The JSON text of a history row, or `current` (the `resources` row's text) when it holds none. */
export function historyText(stored: HistoryText, current: string | null): string | null {
  if (stored === null) return current;
  return typeof stored === 'string' ? stored : inflateRawSync(stored).toString('utf8');
}
