/**
 * What the indexer stores for one value of one parameter, normalised by parameter type
 * (https://hl7.org/fhir/R4/search.html#ptypes). Dates and quantities are ranges; open ends use the
 * bounds below so that comparisons stay plain numeric ones in SQL.
 */

/** Earliest and latest instants JavaScript can represent, standing for an open period end. */
export const MIN_TIME = -8.64e15;
export const MAX_TIME = 8.64e15;

export interface StringEntry {
  kind: 'string';
  /** Folded (case and accents) for the default and `:contains` matches. */
  folded: string;
  /** As written, for `:exact`. */
  exact: string;
}

export interface TokenEntry {
  kind: 'token';
  system: string | null;
  code: string | null;
  /** Folded display text (CodeableConcept.text, Coding.display, Identifier.type.text) for `:text`. */
  text: string | null;
  /** Identifier.type codings, for `:of-type` (R4). */
  typeSystem: string | null;
  typeCode: string | null;
}

export interface DateEntry {
  kind: 'date';
  /** Inclusive range in epoch milliseconds. */
  low: number;
  high: number;
}

export interface NumberEntry {
  kind: 'number';
  value: number;
}

export interface QuantityEntry {
  kind: 'quantity';
  /** A Quantity has low = high = value; a Range its bounds. */
  low: number;
  high: number;
  system: string | null;
  code: string | null;
  unit: string | null;
}

export interface ReferenceEntry {
  kind: 'reference';
  targetType: string | null;
  targetId: string | null;
  /** Absolute or canonical URL, as written, without `|version`. */
  url: string | null;
  version: string | null;
}

export interface UriEntry {
  kind: 'uri';
  value: string;
}

export type IndexEntry =
  | StringEntry
  | TokenEntry
  | DateEntry
  | NumberEntry
  | QuantityEntry
  | ReferenceEntry
  | UriEntry;

/** One stored row: `group` ties the components of one composite node together, and numbers a plain parameter's rows. */
export interface IndexRow {
  param: string;
  group: number;
  entry: IndexEntry;
}
