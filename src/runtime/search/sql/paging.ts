/**
 * Sorting and keyset paging. Each page is ordered by the `_sort` keys then the id, and a next/previous
 * link carries the keys of the row it continues from, so a page never repeats or skips a resource
 * because others were created or deleted meanwhile (unlike an offset).
 * Sort keys follow https://hl7.org/fhir/R4/search.html#sort: a resource with several values sorts
 * by its lowest ascending and its highest descending; one without a value sorts last.
 */
import type { PageCursor, SortKey } from '../../contracts';
import { lookupParam, lookupTable } from '../table';
import type { ConditionContext } from './conditions';
import { indexKey } from './keys';
import { SearchUnsupportedError } from './match';
import { INDEX_TABLES, ownRows } from './schema';
import { any, type Sql, sql } from './sql';

const NUMERIC_LAST = 8.9e15;
const TEXT_LAST = '\u{10FFFF}';

export interface SortColumn {
  expression: Sql;
  descending: boolean;
}

export function sortColumns(
  keys: SortKey[],
  resourceType: string,
  owner: string,
  context: ConditionContext,
): SortColumn[] {
  return keys.map((key) => ({
    expression: sortExpression(key, resourceType, owner, context),
    descending: key.descending,
  }));
}

function sortExpression(key: SortKey, resourceType: string, owner: string, context: ConditionContext): Sql {
  if (key.name === '_id') return sql(`${owner}.id`);
  const table = lookupTable(context.tables, resourceType);
  const def = table && lookupParam(table, key.name);
  if (!def || def.unsupported) throw new SearchUnsupportedError('_sort', `cannot sort by ${key.name}`);
  const pick = key.descending ? 'MAX' : 'MIN';
  const [column, numeric] = SORT_COLUMN[def.type] ?? [];
  const spec = INDEX_TABLES[def.type as keyof typeof INDEX_TABLES];
  if (!column || !spec)
    throw new SearchUnsupportedError('_sort', `cannot sort by ${def.type} parameter ${key.name}`);
  const chosen = column === 'range' ? (key.descending ? 'high' : 'low') : column;
  const last = numeric ? (key.descending ? -NUMERIC_LAST : NUMERIC_LAST) : key.descending ? '' : TEXT_LAST;
  const s = context.aliases.take('s');
  return sql(
    // INDEXED BY: without it SQLite walks every row of the parameter (the lookup index) for each resource.
    `COALESCE((SELECT ${pick}(${s}.${chosen}) FROM ${spec.name} ${s} INDEXED BY ${ownRows(spec.name)} WHERE ${s}.resource_type = ? AND ${s}.id = ${owner}.id AND ${s}.param = ?), ?)`,
    resourceType,
    indexKey(def),
    last,
  );
}

const SORT_COLUMN: Partial<Record<string, [string, boolean]>> = {
  string: ['folded', false],
  token: ['code', false],
  date: ['range', true],
  number: ['value', true],
  quantity: ['range', true],
  reference: ["target_type || '/' || target_id", false],
  uri: ['value', false],
};

/** ORDER BY for the page, reversed when walking backwards to a previous page. */
export function orderBy(columns: SortColumn[], reversed: boolean): string {
  const parts = columns.map(
    (column, index) => `k${index} ${column.descending !== reversed ? 'DESC' : 'ASC'}`,
  );
  parts.push(`id ${reversed ? 'DESC' : 'ASC'}`);
  return parts.join(', ');
}

/** Rows strictly after (`forward`) or before the row whose sort keys and id are `key`. */
export function beyond(columns: SortColumn[], key: PageCursor['key'], forward: boolean): Sql {
  if (key.length !== columns.length + 1) {
    throw new SearchUnsupportedError('_cursor', 'the cursor does not belong to this search');
  }
  const names = [...columns.map((_, index) => `k${index}`), 'id'];
  const descending = [...columns.map((column) => column.descending), false];
  const alternatives = names.map((name, i) => {
    const equalBefore = names.slice(0, i).map((previous) => `${previous} = ?`);
    const op = descending[i] === forward ? '<' : '>';
    return sql([...equalBefore, `${name} ${op} ?`].join(' AND '), ...key.slice(0, i), key[i]);
  });
  return any(alternatives);
}
