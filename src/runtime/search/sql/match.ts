/**
 * How one search value matches one index row, by type and prefix, as SQL over the row alias `t`.
 * Prefix semantics are those of https://hl7.org/fhir/R4/search.html#prefix: with the search range
 * [sl, sh] and the value's range [tl, th], `eq` means the search range contains the value's, `gt` that
 * the value reaches above the search range, `sa` that it starts after it, `ap` that they overlap.
 */
import type { SearchPrefix } from '../../contracts';
import type { NumberValue, QuantityValue, ReferenceValue, TokenValue, TypedValue } from '../types';
import { likeEscape, not, type Sql, sql } from './sql';

export class SearchUnsupportedError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'SearchUnsupportedError';
  }
}

export interface MatchContext {
  param: string;
  modifier?: string;
  /** The server's base URL: absolute references below it match local `Type/id` rows. */
  baseUrl?: string;
}

export function valueMatch(value: TypedValue, t: string, context: MatchContext): Sql {
  switch (value.kind) {
    case 'string':
      if (context.modifier === 'exact') return sql(`${t}.exact = ?`, value.value);
      if (context.modifier === 'contains')
        return sql(`${t}.folded LIKE ? ESCAPE '\\'`, `%${likeEscape(value.folded)}%`);
      return startsWith(`${t}.folded`, value.folded);
    case 'text':
      return startsWith(`${t}.text`, value.folded);
    case 'token':
      return tokenMatch(value, t);
    case 'date':
      return rangeMatch(value.prefix ?? 'eq', `${t}.low`, `${t}.high`, value);
    case 'number':
      return numberMatch(value, `${t}.value`);
    case 'quantity':
      return quantityMatch(value, t);
    case 'reference':
      return referenceMatch(value, t, context);
    case 'uri':
      // URIs compare case-sensitively: ranges and substr, not LIKE.
      if (context.modifier === 'below') return startsWith(`${t}.value`, value.value);
      if (context.modifier === 'above')
        return sql(`substr(?, 1, length(${t}.value)) = ${t}.value`, value.value);
      if (context.modifier === 'in' || context.modifier === 'not-in') {
        throw new SearchUnsupportedError(
          context.param,
          `:${context.modifier} needs a terminology service to expand the value set`,
        );
      }
      return sql(`${t}.value = ?`, value.value);
    default:
      throw new SearchUnsupportedError(context.param, `values of kind ${value.kind} cannot be matched here`);
  }
}

/**
 * A prefix as a range (`>= 'pet' AND < 'pet\u{10FFFF}'`), which the index on the column can answer;
 * SQLite's LIKE could not, and is case-insensitive for ASCII, which URIs are not.
 */
function startsWith(column: string, prefix: string): Sql {
  return sql(`${column} >= ? AND ${column} < ?`, prefix, `${prefix}\u{10FFFF}`);
}

function tokenMatch(value: TokenValue, t: string): Sql {
  if (value.typeSystem !== undefined) {
    return sql(
      `${t}.type_system = ? AND ${t}.type_code = ? AND ${t}.code = ?`,
      value.typeSystem,
      value.typeCode,
      value.code,
    );
  }
  const parts: Sql[] = [];
  if (value.system === null) parts.push(sql(`${t}.system IS NULL`));
  else if (value.system !== undefined) parts.push(sql(`${t}.system = ?`, value.system));
  if (value.code !== undefined) parts.push(sql(`${t}.code = ?`, value.code));
  return { text: parts.map((part) => part.text).join(' AND '), args: parts.flatMap((part) => part.args) };
}

/** Ranges against ranges: dates, and quantities stored as [low, high]. */
function rangeMatch(prefix: SearchPrefix, tl: string, th: string, range: { low: number; high: number }): Sql {
  const { low: sl, high: sh } = range;
  const contained = sql(`${tl} >= ? AND ${th} <= ?`, sl, sh);
  switch (prefix) {
    case 'eq':
      return contained;
    case 'ne':
      return not(contained);
    case 'gt':
      return sql(`${th} > ?`, sh);
    case 'lt':
      return sql(`${tl} < ?`, sl);
    // ge = above OR contained, written so that its first term is a range an index can serve:
    // th >= sl AND (th > sh OR tl >= sl) selects exactly the same rows. le likewise.
    case 'ge':
      return sql(`${th} >= ? AND (${th} > ? OR ${tl} >= ?)`, sl, sh, sl);
    case 'le':
      return sql(`${tl} <= ? AND (${tl} < ? OR ${th} <= ?)`, sh, sl, sh);
    case 'sa':
      return sql(`${tl} > ?`, sh);
    case 'eb':
      return sql(`${th} < ?`, sl);
    case 'ap':
      return sql(`${tl} <= ? AND ${th} >= ?`, sh, sl);
  }
}

/** Numbers: `eq` within the precision of the search value ([low, high)); `ap` within 10% (search.html#prefix). */
function numberMatch(value: NumberValue, column: string): Sql {
  const margin = Math.abs(value.value) * 0.1;
  switch (value.prefix ?? 'eq') {
    case 'eq':
      return sql(`${column} >= ? AND ${column} < ?`, value.low, value.high);
    case 'ne':
      return sql(`NOT (${column} >= ? AND ${column} < ?)`, value.low, value.high);
    case 'gt':
    case 'sa':
      return sql(`${column} > ?`, value.value);
    case 'lt':
    case 'eb':
      return sql(`${column} < ?`, value.value);
    case 'ge':
      return sql(`${column} >= ?`, value.value);
    case 'le':
      return sql(`${column} <= ?`, value.value);
    case 'ap':
      return sql(`${column} >= ? AND ${column} <= ?`, value.value - margin, value.value + margin);
  }
}

function quantityMatch(value: QuantityValue, t: string): Sql {
  const prefix = value.prefix ?? 'eq';
  const margin = Math.abs(value.value) * 0.1;
  let amount: Sql;
  if (prefix === 'eq' || prefix === 'ne') {
    const inside = sql(`${t}.low >= ? AND ${t}.high < ?`, value.low, value.high);
    amount = prefix === 'eq' ? inside : not(inside);
  } else if (prefix === 'ap') {
    amount = sql(`${t}.low <= ? AND ${t}.high >= ?`, value.value + margin, value.value - margin);
  } else {
    amount = rangeMatch(prefix, `${t}.low`, `${t}.high`, { low: value.value, high: value.value });
  }
  if (value.code === undefined) return amount;
  // `5.4||mg` matches the code or the unit, in any system (search.html#quantity).
  const units =
    value.system === null || value.system === undefined
      ? sql(`(${t}.code = ? OR ${t}.unit = ?)`, value.code, value.code)
      : sql(`${t}.system = ? AND ${t}.code = ?`, value.system, value.code);
  return { text: `(${amount.text}) AND ${units.text}`, args: [...amount.args, ...units.args] };
}

function referenceMatch(value: ReferenceValue, t: string, context: MatchContext): Sql {
  const parts: Sql[] = [];
  if (value.url !== undefined) {
    const local =
      context.baseUrl !== undefined && value.url.startsWith(`${context.baseUrl}/`) && value.id !== undefined;
    parts.push(
      local
        ? sql(
            `(${t}.url = ? OR (${t}.target_type = ? AND ${t}.target_id = ?))`,
            value.url,
            value.resourceType,
            value.id,
          )
        : sql(`${t}.url = ?`, value.url),
    );
  } else {
    if (value.resourceType !== undefined) parts.push(sql(`${t}.target_type = ?`, value.resourceType));
    parts.push(sql(`${t}.target_id = ?`, value.id));
  }
  if (value.url !== undefined && value.version !== undefined)
    parts.push(sql(`${t}.version = ?`, value.version));
  return { text: parts.map((part) => part.text).join(' AND '), args: parts.flatMap((part) => part.args) };
}
