/**
 * `_include` and `_revinclude` (https://hl7.org/fhir/R4/search.html#include): resources the matches
 * refer to, and resources that refer to the matches, through the reference index. Directives marked
 * `:iterate` (`:recurse` before R4) are applied again to what was included, until nothing new comes
 * or the bound is reached.
 */
import type { IncludeDirective, SearchQuery } from '../../contracts';
import { type FhirVersion, lookupParam, lookupTable, type SearchTables } from '../table';
import { indexKey } from './keys';
import type { Steps } from './runner';
import { ownRows } from './schema';

/**
 * A resource as read from the `resources` table: its stored JSON as the driver hands it over (text
 * from SQLite, an object from PostgreSQL), parsed or kept as text by the caller.
 */
export interface LoadedRow {
  resourceType: string;
  id: string;
  json: unknown;
}

interface IncludeOptions {
  version: FhirVersion;
  tables: SearchTables;
  maxIncludes: number;
  dialect: 'sqlite' | 'postgres';
}

type Key = { resourceType: string; id: string };

const MAX_ROUNDS = 8;
const keyOf = (resource: { resourceType: string; id: string }) => `${resource.resourceType}/${resource.id}`;

export function* collectIncludes(
  query: SearchQuery,
  matches: Key[],
  options: IncludeOptions,
): Steps<LoadedRow[]> {
  if (query.include.length === 0 && query.revinclude.length === 0) return [];
  const seen = new Set(matches.map(keyOf));
  const included: LoadedRow[] = [];
  let frontier: Key[] = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length > 0; round++) {
    const directives = (list: IncludeDirective[]) => (round === 0 ? list : list.filter((d) => d.iterate));
    const found: Key[] = [];
    for (const directive of directives(query.include))
      found.push(...(yield* forward(directive, frontier, options)));
    for (const directive of directives(query.revinclude))
      found.push(...(yield* reverse(directive, frontier, options)));
    const fresh: { resourceType: string; id: string }[] = [];
    for (const key of found) {
      const name = keyOf(key);
      if (seen.has(name)) continue;
      seen.add(name);
      fresh.push(key);
    }
    const loaded = yield* load(fresh.slice(0, Math.max(0, options.maxIncludes - included.length)), options);
    included.push(...loaded);
    frontier = loaded;
    if (included.length >= options.maxIncludes) break;
  }
  return included;
}

function idsOf(resources: Key[], type: string): string {
  return JSON.stringify(resources.filter((r) => r.resourceType === type).map((r) => r.id));
}

/** `*` stands for every reference parameter of the source type. */
function paramsOf(directive: IncludeDirective, options: IncludeOptions): string {
  const table = lookupTable(options.tables, directive.sourceType);
  if (!table) return '[]';
  const defs =
    directive.param === '*'
      ? Object.values(table.params).filter((p) => p.type === 'reference')
      : [lookupParam(table, directive.param)].filter((p) => p !== undefined);
  // The rows hold each parameter's index key (keys.ts), not its code.
  return JSON.stringify(defs.map(indexKey));
}

// The statements name their index: SQLite's planner, without statistics, prefers an index that
// matches fewer rows' worth of columns and then scans (measured in bench/search.bench.ts).
// Quoted "resourceType": PostgreSQL folds unquoted names to lower case.
function* forward(directive: IncludeDirective, from: Key[], options: IncludeOptions): Steps<Key[]> {
  const rows = yield {
    text: `SELECT DISTINCT target_type AS "resourceType", target_id AS id FROM search_reference INDEXED BY ${ownRows('search_reference')}
       WHERE resource_type = ? AND id IN (SELECT value FROM json_each(?)) AND param IN (SELECT value FROM json_each(?))
       AND target_type IS NOT NULL AND target_id IS NOT NULL AND (CAST(? AS TEXT) IS NULL OR target_type = ?)`,
    args: [
      directive.sourceType,
      idsOf(from, directive.sourceType),
      paramsOf(directive, options),
      directive.targetType ?? null,
      directive.targetType ?? null,
    ],
  };
  return rows as Key[];
}

function* reverse(directive: IncludeDirective, from: Key[], options: IncludeOptions): Steps<Key[]> {
  const types = [...new Set(from.map((r) => r.resourceType))].filter(
    (type) => directive.targetType === undefined || directive.targetType === type,
  );
  const found: Key[] = [];
  for (const type of types) {
    const rows = yield {
      text: `SELECT DISTINCT resource_type AS "resourceType", id FROM search_reference INDEXED BY search_reference_target
           WHERE resource_type = ? AND param IN (SELECT value FROM json_each(?))
           AND target_type = ? AND target_id IN (SELECT value FROM json_each(?))`,
      args: [directive.sourceType, paramsOf(directive, options), type, idsOf(from, type)],
    };
    found.push(...(rows as Key[]));
  }
  return found;
}

/** Reads the included resources in the order found; the JSON array of keys is read by each dialect's own functions. */
const LOAD_TEXT = {
  sqlite: `SELECT r.resource_type AS "resourceType", r.id AS id, r.json AS json FROM json_each(?) k JOIN resources r
     ON r.resource_type = json_extract(k.value, '$[0]') AND r.id = json_extract(k.value, '$[1]') AND r.deleted = 0 ORDER BY k.key`,
  postgres: `SELECT r.resource_type AS "resourceType", r.id AS id, r.json AS json FROM json_array_elements(?::json) WITH ORDINALITY AS k(value, key) JOIN resources r
     ON r.resource_type = k.value->>0 AND r.id = k.value->>1 AND r.deleted = 0 ORDER BY k.key`,
};

function* load(keys: Key[], options: IncludeOptions): Steps<LoadedRow[]> {
  if (keys.length === 0) return [];
  const rows = yield {
    text: LOAD_TEXT[options.dialect],
    args: [JSON.stringify(keys.map((key) => [key.resourceType, key.id]))],
  };
  return rows as unknown as LoadedRow[];
}
