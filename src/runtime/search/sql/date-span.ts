/**
 * Index access for date conditions bounded on both sides (`birthdate=ge1970&birthdate=le1975`,
 * `date=2020-06-15`). A stored date is a range [low, high]; a condition that implies
 * `high >= lo AND low <= hi` (its envelope) can walk the index on `low` from `lo - width` to `hi`
 * when no row is wider than `width`, instead of walking one side of the range to the end. The rows
 * are split by width: those up to `NARROW_MS` (every date down to year precision) are walked from
 * `lo` minus the widest of them, read from an index on `high - low`; the wider ones (long and
 * open-ended periods) are read through that same index. The two sets are disjoint and together hold
 * every row the condition can match, so nothing is lost and nothing counted twice.
 */
import type { TypedValue } from '../types';
import type { Sql } from './sql';

/** Rows up to this wide (a leap year and a day, in ms) are narrow: dates of any precision are. */
export const NARROW_MS = 367 * 86_400_000;

/** The condition implies `high >= low AND low <= high` of the envelope; a side left out is unbounded. */
export interface Envelope {
  low?: number;
  high?: number;
}

/**
 * What each prefix implies of a row's range [tl, th], with the search range [sl, sh]
 * (https://hl7.org/fhir/R4/search.html#prefix, written out in match.ts `rangeMatch`).
 */
function valueEnvelope(value: TypedValue): Envelope {
  if (value.kind !== 'date') return {};
  const { low: sl, high: sh } = value;
  switch (value.prefix ?? 'eq') {
    // tl >= sl and th <= sh: so th >= sl and tl <= sh.
    case 'eq':
    case 'ap':
      return { low: sl, high: sh };
    case 'ge':
      return { low: sl };
    // th > sh, or tl > sh (so th > sh too).
    case 'gt':
    case 'sa':
      return { low: sh };
    case 'le':
      return { high: sh };
    // tl < sl, or th < sl (so tl < sl too).
    case 'lt':
    case 'eb':
      return { high: sl };
    default:
      return {};
  }
}

/** Values are ORed: the envelope of each, widened to hold them all. */
export function envelopeOfValues(values: readonly TypedValue[]): Envelope {
  const each = values.map(valueEnvelope);
  const out: Envelope = {};
  if (each.length > 0 && each.every((e) => e.low !== undefined))
    out.low = Math.min(...each.map((e) => e.low as number));
  if (each.length > 0 && each.every((e) => e.high !== undefined))
    out.high = Math.max(...each.map((e) => e.high as number));
  return out;
}

/** Conditions are ANDed: the narrowest of their envelopes. */
export function intersectEnvelopes(envelopes: readonly Envelope[]): Envelope {
  const lows = envelopes.flatMap((e) => (e.low === undefined ? [] : [e.low]));
  const highs = envelopes.flatMap((e) => (e.high === undefined ? [] : [e.high]));
  const out: Envelope = {};
  if (lows.length > 0) out.low = Math.max(...lows);
  if (highs.length > 0) out.high = Math.min(...highs);
  return out;
}

/**
 * `SELECT t.id FROM search_date t WHERE <the parameter's rows> AND <condition>`, over the narrow and
 * the wide rows apart when the envelope is bounded on both sides. `keys` are the parameter's
 * `(resource_type, param)`, the leading columns of both indexes.
 */
export function dateRows(t: string, keys: unknown[], condition: Sql, envelope: Envelope | undefined): Sql {
  const rowsOf = (alias: string) => `${alias}.resource_type = ? AND ${alias}.param = ?`;
  if (envelope?.low === undefined || envelope.high === undefined) {
    // One side at most: the index on `high` from the lower bound, or that on `low` up to the upper.
    const bound =
      envelope?.low !== undefined
        ? {
            text: ` INDEXED BY search_date_upper WHERE ${rowsOf(t)} AND ${t}.high >= ?`,
            args: [envelope.low],
          }
        : envelope?.high !== undefined
          ? {
              text: ` INDEXED BY search_date_find WHERE ${rowsOf(t)} AND ${t}.low <= ?`,
              args: [envelope.high],
            }
          : { text: ` INDEXED BY search_date_find WHERE ${rowsOf(t)}`, args: [] };
    return {
      text: `SELECT ${t}.id AS id FROM search_date ${t}${bound.text} AND (${condition.text})`,
      args: [...keys, ...bound.args, ...condition.args],
    };
  }
  const w = `${t}w`;
  const width = (alias: string) => `${alias}.high - ${alias}.low`;
  // The widest narrow row; NULL when there is none, and then the narrow branch selects nothing.
  const widest = `(SELECT MAX(${width(w)}) FROM search_date ${w} INDEXED BY search_date_span WHERE ${rowsOf(w)} AND ${width(w)} <= ?)`;
  // INDEXED BY: SQLite has no statistics, and would walk the index on `high` to its end instead.
  const narrow = `SELECT ${t}.id AS id FROM search_date ${t} INDEXED BY search_date_find WHERE ${rowsOf(t)} AND ${t}.low >= ? - ${widest} AND ${t}.low <= ? AND ${width(t)} <= ? AND (${condition.text})`;
  const wide = `SELECT ${t}.id AS id FROM search_date ${t} INDEXED BY search_date_span WHERE ${rowsOf(t)} AND ${width(t)} > ? AND (${condition.text})`;
  return {
    text: `${narrow} UNION ALL ${wide}`,
    args: [
      ...keys,
      envelope.low,
      ...keys,
      NARROW_MS,
      envelope.high,
      NARROW_MS,
      ...condition.args,
      ...keys,
      NARROW_MS,
      ...condition.args,
    ],
  };
}
