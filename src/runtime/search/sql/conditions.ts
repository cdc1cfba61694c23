/**
 * Turns each parameter of a `SearchQuery` into the set of matching ids of a resource type, as a
 * subquery over the index tables (`SELECT id FROM search_token WHERE ...`), so that SQLite evaluates
 * it once through the index rather than once per resource. Values are ORed, parameters ANDed by the
 * caller (https://hl7.org/fhir/R4/search.html#combining); `:not` and `:missing=true` are the
 * complement; chains and `_has` go through the reference index. Index rows exist only for resources
 * that are not deleted (the indexer removes them on delete).
 */
import type { SearchParam } from '../../contracts';
import { type FhirVersion, lookupParam, lookupTable, type SearchParamDef, type SearchTables } from '../table';
import type { TypedValue } from '../types';
import { dateRows, type Envelope, envelopeOfValues } from './date-span';
import { componentKey, identifierKey, indexKey } from './keys';
import { type MatchContext, SearchUnsupportedError, valueMatch } from './match';
import { INDEX_TABLES } from './schema';
import { type Aliases, all, any, type Sql, sql } from './sql';

export interface ConditionContext {
  version: FhirVersion;
  tables: SearchTables;
  baseUrl?: string;
  aliases: Aliases;
  /** The members (`system|code`) of a ValueSet the version's packages list, for `:in`/`:not-in`. */
  valueSet?: (url: string) => readonly string[] | undefined;
  /**
   * `:above`/`:below`: the code and the codes above or below it in its code system's hierarchy, as
   * `system|code` (`|code` where the value names no system: any system).
   */
  subsumed?: (system: string | undefined, code: string, direction: 'above' | 'below') => string[];
  /** Which database the SQL is for, where the two differ beyond what the runner rewrites. */
  dialect?: 'sqlite' | 'postgres';
}

const NON_TYPE_MODIFIERS = new Set([
  'missing',
  'not',
  'exact',
  'contains',
  'text',
  'in',
  'not-in',
  'above',
  'below',
  'of-type',
  'identifier',
]);

/** A condition on the id column `idColumn` (`r.id`, `x1.target_id`) of resources of `resourceType`. */
export function paramCondition(
  param: SearchParam,
  resourceType: string,
  idColumn: string,
  context: ConditionContext,
): Sql {
  const { ids, negate } = idSet(param, resourceType, context);
  return { text: `${idColumn} ${negate ? 'NOT IN' : 'IN'} (${ids.text})`, args: ids.args };
}

export interface IdSet {
  ids: Sql;
  /** The parameter matches the resources NOT in `ids` (`:not`, `:missing=true`). */
  negate: boolean;
  /** The statement names the index it reads (`INDEXED BY`), so its plan holds wherever it is put. */
  pinned?: boolean;
  /** The ids are read from this parameter's index rows: each once when no resource has two rows. */
  rowsOf?: ParamRows;
}

/** The index rows of one parameter: its table and `(resource_type, param)`. */
export interface ParamRows {
  table: string;
  keys: unknown[];
}

/** SQL over one parameter's index rows, as `rowsIn` writes it. */
interface RowsSql extends Sql {
  rowsOf: ParamRows;
}

export function idSet(param: SearchParam, resourceType: string, context: ConditionContext): IdSet {
  const set = unpinnedIdSet(param, resourceType, context);
  // Only index rows of one table read through `indexRows`; chains, `_has`, composites and full text
  // leave the plan to SQLite.
  const rowsOf = (set.ids as Partial<RowsSql>).rowsOf;
  if (rowsOf !== undefined && readsNamedIndex(rowsOf.table)) {
    set.pinned = true;
    set.rowsOf = rowsOf;
  }
  return set;
}

function unpinnedIdSet(param: SearchParam, resourceType: string, context: ConditionContext): IdSet {
  if (param.reverse) return { ids: reverseChain(param, resourceType, context), negate: false };
  if (param.chain) return { ids: chain(param, resourceType, context), negate: false };
  if (param.name === '_text' || param.name === '_content') {
    return { ids: fullText(param, resourceType, context), negate: param.modifier === 'not' };
  }
  const def = definition(resourceType, param.name, context);
  const values = param.values as TypedValue[];
  if (param.modifier === 'missing') {
    const wantsMissing = values.map((value) => value.kind === 'missing' && value.missing);
    if (wantsMissing.some(Boolean) && !wantsMissing.every(Boolean)) {
      // `:missing=true,false` asks for everything.
      return { ids: sql('SELECT NULL WHERE FALSE'), negate: true };
    }
    const present = rows(def, rowsParam(def), resourceType, () => sql('TRUE'), context);
    return { ids: present, negate: wantsMissing[0] === true };
  }
  if (def.type === 'composite') return { ids: composite(def, values, resourceType, context), negate: false };
  if (param.modifier === 'not')
    return {
      ids: rows(def, indexKey(def), resourceType, matches(def, values, undefined, context), context),
      negate: true,
    };
  if (def.type === 'reference' && param.modifier === 'identifier') {
    const match = (t: string) => any(values.map((v) => valueMatch(v, t, { param: def.code })));
    return {
      ids: rowsIn(INDEX_TABLES.token.name, identifierKey(def), resourceType, match, context),
      negate: false,
    };
  }
  if (def.type === 'reference' && (param.modifier === 'above' || param.modifier === 'below')) {
    throw new SearchUnsupportedError(
      def.code,
      `:${param.modifier} on references needs canonical version ordering`,
    );
  }
  if (def.type === 'token' && (param.modifier === 'in' || param.modifier === 'not-in')) {
    // https://hl7.org/fhir/R4/search.html#token: `:in` matches codes in the ValueSet, `:not-in` the
    // resources that `:in` does not match (as `:not` negates a plain match).
    const match = inValueSets(def.code, values, context);
    return {
      ids: rows(def, indexKey(def), resourceType, match, context),
      negate: param.modifier === 'not-in',
    };
  }
  if (def.type === 'token' && (param.modifier === 'above' || param.modifier === 'below')) {
    const match = subsumes(def.code, values, param.modifier, context);
    return { ids: rows(def, indexKey(def), resourceType, match, context), negate: false };
  }
  const typeModifier =
    param.modifier !== undefined && !NON_TYPE_MODIFIERS.has(param.modifier) ? param.modifier : undefined;
  return {
    ids: rows(
      def,
      indexKey(def),
      resourceType,
      matches(def, values, param.modifier, context, typeModifier),
      context,
      def.type === 'date' ? envelopeOfValues(values) : undefined,
    ),
    negate: false,
  };
}

/** Token rows whose system and code are a member of one of the ValueSets named (ORed). */
function inValueSets(code: string, values: TypedValue[], context: ConditionContext): (t: string) => Sql {
  const members = values.map((value) => {
    const url = value.kind === 'uri' ? value.value : value.raw;
    const listed = context.valueSet?.(url.split('|')[0] ?? url);
    if (listed === undefined) {
      throw new SearchUnsupportedError(
        code,
        `the ValueSet ${url} is not one this server can expand: it knows the ValueSets bound in the FHIR ${context.version} definitions whose codes those list`,
      );
    }
    return listed;
  });
  return codedAs(members.flat());
}

/**
 * Token rows coded as one of `keys` (`system|code`; `|code`: the code in any system). The code alone
 * first, which the index on `code` answers; then system and code together, unless the element is a
 * plain `code` (`Patient.gender`), whose rows have no system: the binding implies it.
 */
function codedAs(keys: string[]): (t: string) => Sql {
  const unique = [...new Set(keys)];
  const codes = JSON.stringify([...new Set(unique.map((key) => key.slice(key.lastIndexOf('|') + 1)))]);
  const json = JSON.stringify(unique);
  return (t) =>
    sql(
      `${t}.code IN (SELECT value FROM json_each(?)) AND (${t}.system IS NULL OR (${t}.system || '|' || ${t}.code) IN (SELECT value FROM json_each(?)) OR ('|' || ${t}.code) IN (SELECT value FROM json_each(?)))`,
      codes,
      json,
      json,
    );
}

/**
 * `:below` matches codings that are the code or below it in its code system, `:above` those that are
 * the code or above it (https://hl7.org/fhir/R4/search.html#token), by the hierarchies of the code
 * systems the version's packages list; a code system without one subsumes only the code itself.
 */
function subsumes(
  code: string,
  values: TypedValue[],
  direction: 'above' | 'below',
  context: ConditionContext,
): (t: string) => Sql {
  const keys = values.flatMap((value) => {
    if (value.kind !== 'token' || value.code === undefined) {
      throw new SearchUnsupportedError(code, `:${direction} takes a code, as [system]|[code] or [code]`);
    }
    const system = value.system ?? undefined;
    return context.subsumed?.(system, value.code, direction) ?? [`${system ?? ''}|${value.code}`];
  });
  return codedAs(keys);
}

/**
 * `_content` (every string value of the resource) and `_text` (its narrative), as a case-insensitive
 * search for each word of the value, ORed across values (https://hl7.org/fhir/R4/search.html#content).
 * The documents are read at search time, not indexed: a scan of the type's resources, which the
 * embedded store can afford and which costs writes nothing.
 */
function fullText(param: SearchParam, resourceType: string, context: ConditionContext): Sql {
  if (param.modifier !== undefined && param.modifier !== 'not') {
    throw new SearchUnsupportedError(param.name, `${param.name} takes no :${param.modifier}`);
  }
  const postgres = context.dialect === 'postgres';
  // The position of a substring: SQLite's instr, PostgreSQL's strpos.
  const position = postgres ? 'strpos' : 'instr';
  const contains = (word: string): Sql => {
    if (param.name === '_text') {
      const div = postgres ? "(d.json->'text'->>'div')" : "json_extract(d.json, '$.text.div')";
      return sql(`${position}(lower(${div}), ?) > 0`, word);
    }
    const strings = postgres
      ? "jsonb_path_query(d.json, 'strict $.**') AS v(value) WHERE jsonb_typeof(v.value) = 'string' AND strpos(lower(v.value #>> '{}'), ?) > 0"
      : "json_tree(d.json) AS v WHERE v.type = 'text' AND instr(lower(v.value), ?) > 0";
    return sql(`EXISTS (SELECT 1 FROM ${strings})`, word);
  };
  const eachValue = param.values.map((value) => {
    const words = value.raw
      .toLowerCase()
      .split(/\s+/)
      .filter((word) => word !== '');
    if (words.length === 0) {
      throw new SearchUnsupportedError(param.name, `${param.name} needs a word to look for`);
    }
    return all(words.map(contains));
  });
  const matched = any(eachValue);
  return {
    text: `SELECT d.id AS id FROM resources d WHERE d.resource_type = ? AND d.deleted = 0 AND (${matched.text})`,
    args: [resourceType, ...matched.args],
  };
}

/** A parameter answered by one index table's rows alone: which table, which rows, and the condition on one row. */
export interface RowMatch {
  table: string;
  rowParam: string;
  condition: (t: string) => Sql;
  /** Dates: the range every matching row overlaps (date-span.ts). */
  envelope?: Envelope;
}

/**
 * The row condition of a plain positive parameter (no chain, `_has`, composite, `:missing`, `:not`,
 * `:identifier`): a resource matches when one of its rows does. Undefined for the others.
 */
export function rowMatch(
  param: SearchParam,
  resourceType: string,
  context: ConditionContext,
): RowMatch | undefined {
  if (param.reverse || param.chain || param.modifier === 'missing' || param.modifier === 'not')
    return undefined;
  if (param.name === '_text' || param.name === '_content') return undefined;
  if (
    param.modifier !== undefined &&
    ['identifier', 'in', 'not-in', 'above', 'below'].includes(param.modifier)
  )
    return undefined;
  const def = definition(resourceType, param.name, context);
  if (def.type === 'composite') return undefined;
  const spec = INDEX_TABLES[def.type as keyof typeof INDEX_TABLES];
  if (!spec) return undefined;
  // The same checks and condition as `idSet`, which still runs first and throws what it throws.
  idSet(param, resourceType, context);
  const typeModifier =
    param.modifier !== undefined && !NON_TYPE_MODIFIERS.has(param.modifier) ? param.modifier : undefined;
  const values = param.values as TypedValue[];
  const match: RowMatch = {
    table: spec.name,
    rowParam: indexKey(def),
    condition: matches(def, values, param.modifier, context, typeModifier),
  };
  if (def.type === 'date') match.envelope = envelopeOfValues(values);
  return match;
}

function definition(resourceType: string, code: string, context: ConditionContext): SearchParamDef {
  const table = lookupTable(context.tables, resourceType);
  const def = table && lookupParam(table, code);
  if (!def) throw new SearchUnsupportedError(code, `${code} is not a search parameter of ${resourceType}`);
  if (def.unsupported)
    throw new SearchUnsupportedError(
      code,
      `${code} is not supported by the embedded store: ${def.unsupported}`,
    );
  return def;
}

/** The index rows that say whether a parameter has a value (the first component of a composite). */
function rowsParam(def: SearchParamDef): string {
  return def.type === 'composite' ? componentKey(def, 0) : indexKey(def);
}

function matches(
  def: SearchParamDef,
  values: TypedValue[],
  modifier: string | undefined,
  context: ConditionContext,
  typeModifier?: string,
): (t: string) => Sql {
  const match: MatchContext = { param: def.code };
  if (modifier !== undefined) match.modifier = modifier;
  if (context.baseUrl !== undefined) match.baseUrl = context.baseUrl;
  return (t) => {
    const anyValue = any(values.map((value) => valueMatch(value, t, match)));
    return typeModifier === undefined ? anyValue : all([sql(`${t}.target_type = ?`, typeModifier), anyValue]);
  };
}

function rows(
  def: SearchParamDef,
  rowParam: string,
  resourceType: string,
  condition: (t: string) => Sql,
  context: ConditionContext,
  envelope?: Envelope,
): RowsSql {
  const kind = def.type === 'composite' ? def.components[0]?.type : def.type;
  const spec = kind === undefined ? undefined : INDEX_TABLES[kind as keyof typeof INDEX_TABLES];
  if (!spec) throw new SearchUnsupportedError(def.code, `${def.type} parameters are not indexed`);
  return rowsIn(spec.name, rowParam, resourceType, condition, context, envelope);
}

function rowsIn(
  table: string,
  rowParam: string,
  resourceType: string,
  condition: (t: string) => Sql,
  context: ConditionContext,
  envelope?: Envelope,
): RowsSql {
  const t = context.aliases.take('t');
  const keys = [resourceType, rowParam];
  return { ...indexRows(table, t, keys, condition(t), envelope), rowsOf: { table, keys } };
}

/** Tables `indexRows` reads through a named index (quantities are left to SQLite: `_high` or `_find`). */
const PINNED: ReadonlySet<string> = new Set<string>(
  (['string', 'token', 'reference', 'uri', 'number', 'date'] as const).map((kind) => INDEX_TABLES[kind].name),
);

export const readsNamedIndex = (table: string): boolean => PINNED.has(table);

/**
 * `SELECT t.id FROM <table> t` over the rows of one parameter (`keys`: its `resource_type, param`)
 * that meet `condition`; dates bounded on both sides take the path date-span.ts describes.
 */
export function indexRows(
  table: string,
  t: string,
  keys: unknown[],
  condition: Sql,
  envelope: Envelope | undefined,
): Sql {
  if (table === INDEX_TABLES.date.name) return dateRows(t, keys, condition, envelope);
  // `_find` leads with the parameter's rows and holds the lookup column; without the hint SQLite, which
  // has no statistics, may walk `_own` in id order instead: every row of the type.
  const hint = PINNED.has(table) ? ` INDEXED BY ${table}_find` : '';
  return {
    text: `SELECT ${t}.id AS id FROM ${table} ${t}${hint} WHERE ${t}.resource_type = ? AND ${t}.param = ? AND (${condition.text})`,
    args: [...keys, ...condition.args],
  };
}

/** All components must match rows of the same group: the same node (search.html#composite). */
function composite(
  def: SearchParamDef,
  values: TypedValue[],
  resourceType: string,
  context: ConditionContext,
): Sql {
  const alternatives = values.map((value) => {
    if (value.kind !== 'composite') throw new SearchUnsupportedError(def.code, 'expected a composite value');
    const aliases = def.components.map(() => context.aliases.take('c'));
    const first = aliases[0] as string;
    const from: string[] = [];
    const where: string[] = [];
    const args: unknown[] = [];
    def.components.forEach((component, index) => {
      const c = aliases[index] as string;
      const spec = INDEX_TABLES[component.type as keyof typeof INDEX_TABLES];
      if (!spec)
        throw new SearchUnsupportedError(def.code, `component type ${component.type} is not indexed`);
      from.push(`${spec.name} ${c}`);
      const part = valueMatch(value.components[index] as TypedValue, c, { param: def.code });
      const sameNode =
        index === 0
          ? `${c}.resource_type = ?`
          : `${c}.resource_type = ${first}.resource_type AND ${c}.id = ${first}.id AND ${c}.grp = ${first}.grp`;
      where.push(`${c}.param = ? AND ${sameNode} AND (${part.text})`);
      args.push(componentKey(def, index), ...(index === 0 ? [resourceType] : []), ...part.args);
    });
    return { text: `SELECT ${first}.id FROM ${from.join(', ')} WHERE ${where.join(' AND ')}`, args };
  });
  return { text: alternatives.map((a) => a.text).join(' UNION '), args: alternatives.flatMap((a) => a.args) };
}

/** `subject:Patient.name=x`: reference rows whose target matches the inner parameter. */
function chain(param: SearchParam, resourceType: string, context: ConditionContext): Sql {
  const def = definition(resourceType, param.name, context);
  const inner = param.chain?.param as SearchParam;
  const explicit =
    param.chain?.targetType ??
    (param.modifier && !NON_TYPE_MODIFIERS.has(param.modifier) ? param.modifier : undefined);
  const candidates = (
    explicit ? [explicit] : def.targets.length > 0 ? def.targets : Object.keys(context.tables)
  ).filter((type) => {
    const table = lookupTable(context.tables, type);
    return table !== undefined && lookupParam(table, inner.name) !== undefined;
  });
  const x = context.aliases.take('x');
  const perType = any(
    candidates.map((type) =>
      all([sql(`${x}.target_type = ?`, type), paramCondition(inner, type, `${x}.target_id`, context)]),
    ),
  );
  return {
    text: `SELECT ${x}.id FROM search_reference ${x} WHERE ${x}.resource_type = ? AND ${x}.param = ? AND (${perType.text})`,
    args: [resourceType, indexKey(def), ...perType.args],
  };
}

/** `_has:Observation:patient:code=x`: targets of `patient` references from matching Observations. */
function reverseChain(param: SearchParam, resourceType: string, context: ConditionContext): Sql {
  const reverse = param.reverse as NonNullable<SearchParam['reverse']>;
  const x = context.aliases.take('x');
  const inner = paramCondition(reverse.param, reverse.type, `${x}.id`, context);
  const key = indexKey(definition(reverse.type, reverse.reference, context));
  return {
    text: `SELECT ${x}.target_id AS id FROM search_reference ${x} WHERE ${x}.resource_type = ? AND ${x}.param = ? AND ${x}.target_type = ? AND (${inner.text})`,
    args: [reverse.type, key, resourceType, ...inner.args],
  };
}
