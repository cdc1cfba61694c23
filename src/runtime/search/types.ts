/**
 * The typed forms of one search value, by parameter type. Each is a `SearchValue` (contracts.ts), so
 * services that only look at `raw` and `prefix` keep working; `kind` tells them which fields exist.
 */
import type { SearchValue } from '../contracts';
import type { FhirVersion, SearchTables } from './table';

export interface NumberValue extends SearchValue {
  kind: 'number';
  value: number;
  /** The implicit range of the value's precision: low inclusive, high exclusive. */
  low: number;
  high: number;
}

export interface DateValue extends SearchValue {
  kind: 'date';
  /** Inclusive range in epoch milliseconds (`2020` is the whole year). */
  low: number;
  high: number;
}

export interface StringValue extends SearchValue {
  kind: 'string';
  value: string;
  /** Lower case, accents removed: how `string` parameters compare without `:exact`. */
  folded: string;
}

export interface TokenValue extends SearchValue {
  kind: 'token';
  /** Absent: any system. `null`: explicitly no system (`|code`). */
  system?: string | null;
  /** Absent: any code in `system` (`system|`). */
  code?: string;
  /** `:of-type` (R4): the identifier type's system and code; `code` then holds the identifier value. */
  typeSystem?: string;
  typeCode?: string;
}

export interface ReferenceValue extends SearchValue {
  kind: 'reference';
  /** `Patient` in `Patient/123`, from the `:Patient` modifier, or absent for a bare id. */
  resourceType?: string;
  id?: string;
  /** Absolute URLs and canonicals, as given (version after `|` split off). */
  url?: string;
  version?: string;
}

export interface QuantityValue extends SearchValue {
  kind: 'quantity';
  value: number;
  low: number;
  high: number;
  /** Absent: any system. `null`: `5.4||mg`, no system, code or unit `mg`. */
  system?: string | null;
  code?: string;
}

export interface UriValue extends SearchValue {
  kind: 'uri';
  value: string;
}

export interface TextValue extends SearchValue {
  kind: 'text';
  value: string;
  folded: string;
}

export interface MissingValue extends SearchValue {
  kind: 'missing';
  missing: boolean;
}

export interface CompositeValue extends SearchValue {
  kind: 'composite';
  components: TypedValue[];
}

export type TypedValue =
  | NumberValue
  | DateValue
  | StringValue
  | TokenValue
  | ReferenceValue
  | QuantityValue
  | UriValue
  | TextValue
  | MissingValue
  | CompositeValue;

/** One problem with the query, naming the parameter as the client wrote it. */
export interface SearchIssue {
  param: string;
  message: string;
}

export interface SearchOptions {
  version: FhirVersion;
  /** The version's tables: for chains, `_has`, `_include` and `_revinclude` targets. */
  tables: SearchTables;
  /** Page size when `_count` is absent. */
  defaultCount: number;
  /** Upper bound for `_count`; larger values are lowered to it (search.html#count allows fewer). */
  maxCount: number;
  /** `Prefer: handling=lenient`: drop bad parameters and report them instead of failing. */
  lenient: boolean;
}
