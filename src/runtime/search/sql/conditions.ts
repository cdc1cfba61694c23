/**
 * Turns each parameter of a `SearchQuery` into an SQL condition on a resource row (`owner` alias of
 * the `resources` table): EXISTS over the parameter's index rows, ORing the values
 * (https://hl7.org/fhir/R4/search.html#combining); chains and `_has` join through the reference index.
 */
import type { SearchParam } from '../../contracts';
import { componentParam, identifierParam } from '../index/extract';
import { type FhirVersion, lookupParam, lookupTable, type SearchParamDef, type SearchTables } from '../table';
import type { TypedValue } from '../types';
import { type MatchContext, SearchUnsupportedError, valueMatch } from './match';
import { INDEX_TABLES } from './schema';
import { type Aliases, all, any, not, type Sql, sql } from './sql';

export interface ConditionContext {
  version: FhirVersion;
  tables: SearchTables;
  baseUrl?: string;
  aliases: Aliases;
}

const TYPELESS_MODIFIERS = new Set([
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

export function paramCondition(
  param: SearchParam,
  resourceType: string,
  owner: string,
  context: ConditionContext,
): Sql {
  if (param.reverse) return reverseChain(param, owner, context);
  if (param.chain) return chain(param, resourceType, owner, context);
  const def = definition(resourceType, param.name, context);
  const values = param.values as TypedValue[];
  if (param.modifier === 'missing') {
    const missing = values.map((value) => (value.kind === 'missing' ? value.missing : false));
    const present = exists(def, rowsParam(def), owner, sql('1'), context);
    return any(missing.map((isMissing) => (isMissing ? not(present) : present)));
  }
  if (def.type === 'composite') return composite(def, values, owner, context);
  if (param.modifier === 'not') {
    return not(exists(def, def.code, owner, matches(def, values, undefined, context), context));
  }
  if (def.type === 'reference' && param.modifier === 'identifier') {
    const spec = INDEX_TABLES.token.name;
    return existsIn(
      spec,
      identifierParam(def.code),
      owner,
      (t) => any(values.map((v) => valueMatch(v, t, { param: def.code }))),
      context,
    );
  }
  if (def.type === 'reference' && (param.modifier === 'above' || param.modifier === 'below')) {
    throw new SearchUnsupportedError(
      def.code,
      `:${param.modifier} on references needs canonical version ordering`,
    );
  }
  if (
    def.type === 'token' &&
    param.modifier !== undefined &&
    ['in', 'not-in', 'above', 'below'].includes(param.modifier)
  ) {
    throw new SearchUnsupportedError(def.code, `:${param.modifier} needs a terminology service`);
  }
  const typeModifier =
    param.modifier !== undefined && !TYPELESS_MODIFIERS.has(param.modifier) ? param.modifier : undefined;
  return exists(def, def.code, owner, matches(def, values, param.modifier, context, typeModifier), context);
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
  return def.type === 'composite' ? componentParam(def.code, 0) : def.code;
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
    const any_ = any(values.map((value) => valueMatch(value, t, match)));
    return typeModifier === undefined ? any_ : all([sql(`${t}.target_type = ?`, typeModifier), any_]);
  };
}

function exists(
  def: SearchParamDef,
  rowParam: string,
  owner: string,
  condition: Sql | ((t: string) => Sql),
  context: ConditionContext,
): Sql {
  const kind = def.type === 'composite' ? def.components[0]?.type : def.type;
  if (kind === undefined || !(kind in INDEX_TABLES)) {
    throw new SearchUnsupportedError(def.code, `${def.type} parameters are not indexed`);
  }
  const table = INDEX_TABLES[kind as keyof typeof INDEX_TABLES].name;
  return existsIn(
    table,
    rowParam,
    owner,
    typeof condition === 'function' ? condition : () => condition,
    context,
  );
}

function existsIn(
  table: string,
  rowParam: string,
  owner: string,
  condition: (t: string) => Sql,
  context: ConditionContext,
): Sql {
  const t = context.aliases.take('t');
  const inner = condition(t);
  return {
    text: `EXISTS (SELECT 1 FROM ${table} ${t} WHERE ${t}.v = ? AND ${t}.resource_type = ${owner}.resource_type AND ${t}.id = ${owner}.id AND ${t}.param = ? AND (${inner.text}))`,
    args: [context.version, rowParam, ...inner.args],
  };
}

/** All components must match rows of the same group: the same node (search.html#composite). */
function composite(def: SearchParamDef, values: TypedValue[], owner: string, context: ConditionContext): Sql {
  return any(
    values.map((value) => {
      if (value.kind !== 'composite')
        throw new SearchUnsupportedError(def.code, 'expected a composite value');
      const aliases = def.components.map(() => context.aliases.take('c'));
      const from: string[] = [];
      const args: unknown[] = [];
      const where: string[] = [];
      def.components.forEach((component, index) => {
        const c = aliases[index] as string;
        const table = INDEX_TABLES[component.type as keyof typeof INDEX_TABLES];
        if (!table)
          throw new SearchUnsupportedError(def.code, `component type ${component.type} is not indexed`);
        from.push(`${table.name} ${c}`);
        const part = valueMatch(value.components[index] as TypedValue, c, { param: def.code });
        const sameNode =
          index === 0
            ? `${c}.resource_type = ${owner}.resource_type AND ${c}.id = ${owner}.id`
            : `${c}.resource_type = ${aliases[0]}.resource_type AND ${c}.id = ${aliases[0]}.id AND ${c}.grp = ${aliases[0]}.grp`;
        where.push(`${c}.v = ? AND ${c}.param = ? AND ${sameNode} AND (${part.text})`);
        args.push(context.version, componentParam(def.code, index), ...part.args);
      });
      return { text: `EXISTS (SELECT 1 FROM ${from.join(', ')} WHERE ${where.join(' AND ')})`, args };
    }),
  );
}

/** `subject:Patient.name=x`: a reference row whose target exists and matches the inner parameter. */
function chain(param: SearchParam, resourceType: string, owner: string, context: ConditionContext): Sql {
  const def = definition(resourceType, param.name, context);
  const inner = param.chain?.param as SearchParam;
  const explicit =
    param.chain?.targetType ??
    (param.modifier && !TYPELESS_MODIFIERS.has(param.modifier) ? param.modifier : undefined);
  const candidates = (
    explicit ? [explicit] : def.targets.length > 0 ? def.targets : Object.keys(context.tables)
  ).filter(
    (type) =>
      lookupTable(context.tables, type) &&
      lookupParam(lookupTable(context.tables, type) as never, inner.name),
  );
  const x = context.aliases.take('x');
  const target = context.aliases.take('r');
  const perType = any(
    candidates.map((type) =>
      all([sql(`${x}.target_type = ?`, type), paramCondition(inner, type, target, context)]),
    ),
  );
  return {
    text: `EXISTS (SELECT 1 FROM search_reference ${x} JOIN resources ${target} ON ${target}.resource_type = ${x}.target_type AND ${target}.id = ${x}.target_id AND ${target}.deleted = 0 WHERE ${x}.v = ? AND ${x}.resource_type = ${owner}.resource_type AND ${x}.id = ${owner}.id AND ${x}.param = ? AND (${perType.text}))`,
    args: [context.version, def.code, ...perType.args],
  };
}

/** `_has:Observation:patient:code=x`: an Observation pointing here through `patient` with a matching code. */
function reverseChain(param: SearchParam, owner: string, context: ConditionContext): Sql {
  const reverse = param.reverse as NonNullable<SearchParam['reverse']>;
  const x = context.aliases.take('x');
  const source = context.aliases.take('r');
  const inner = paramCondition(reverse.param, reverse.type, source, context);
  return {
    text: `EXISTS (SELECT 1 FROM search_reference ${x} JOIN resources ${source} ON ${source}.resource_type = ${x}.resource_type AND ${source}.id = ${x}.id AND ${source}.deleted = 0 WHERE ${x}.v = ? AND ${x}.resource_type = ? AND ${x}.param = ? AND ${x}.target_type = ${owner}.resource_type AND ${x}.target_id = ${owner}.id AND (${inner.text}))`,
    args: [context.version, reverse.type, reverse.reference, ...inner.args],
  };
}
