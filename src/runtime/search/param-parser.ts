/**
 * Parses one search parameter occurrence (`name[:modifier]=v1,v2`), including chains one level deep
 * (`subject:Patient.name=peter`, search.html#chaining) and reverse chains
 * (`_has:Observation:patient:code=1234`, search.html#has). Returns the typed parameter or a message.
 */
import type { SearchParam } from '../contracts';
import { splitEscaped } from './escape';
import type { VersionRules } from './rules';
import { lookupParam, lookupTable, type SearchParamDef, type SearchTable, type SearchTables } from './table';
import { parseValue } from './values';

export type ParamResult = { ok: true; param: SearchParam } | { ok: false; message: string };
const fail = (message: string): ParamResult => ({ ok: false, message });
const TYPE_NAME = /^[A-Z][A-Za-z]+$/;

export interface ParamContext {
  table: SearchTable;
  tables: SearchTables;
  rules: VersionRules;
}

export function parseSearchParam(key: string, value: string, context: ParamContext): ParamResult {
  if (key.startsWith('_has:')) return parseReverseChain(key, value, context);
  const dot = key.indexOf('.');
  if (dot >= 0) return parseChain(key.slice(0, dot), key.slice(dot + 1), value, context);
  const [name, modifier] = splitModifier(key);
  const def = lookupParam(context.table, name);
  if (!def) return fail(`unknown search parameter for ${context.table.resourceType}`);
  return parseValues(def, modifier, value, context);
}

function splitModifier(key: string): [string, string | undefined] {
  const colon = key.indexOf(':');
  return colon < 0 ? [key, undefined] : [key.slice(0, colon), key.slice(colon + 1)];
}

function parseValues(
  def: SearchParamDef,
  modifier: string | undefined,
  value: string,
  context: ParamContext,
): ParamResult {
  const modifierProblem = checkModifier(def, modifier, context);
  if (modifierProblem) return fail(modifierProblem);
  const param: SearchParam = { name: def.code, type: def.type, values: [] };
  if (modifier !== undefined) param.modifier = modifier;
  for (const piece of splitEscaped(value, ',')) {
    const parsed = parseValue(piece, {
      type: def.type,
      modifier,
      targets: def.targets,
      comparators: def.comparators,
      components: def.components,
      isResourceType: (name) => lookupTable(context.tables, name) !== undefined,
    });
    if (!parsed.ok) return fail(parsed.message);
    param.values.push(parsed.value);
  }
  return { ok: true, param };
}

/** Modifiers the definition lists (R4), else those the version allows for the type; `:missing` always. */
function checkModifier(
  def: SearchParamDef,
  modifier: string | undefined,
  context: ParamContext,
): string | undefined {
  if (modifier === undefined || modifier === 'missing') return undefined;
  const listed = def.modifiers.map((m) => (m === 'type' ? '[type]' : m));
  const allowed = listed.length > 0 ? listed : context.rules.modifiers[def.type];
  if (allowed.includes(modifier)) return undefined;
  if (def.type === 'reference' && allowed.includes('[type]') && isTargetType(def, modifier, context.tables)) {
    return undefined;
  }
  if (def.type === 'reference' && TYPE_NAME.test(modifier)) {
    return `'${modifier}' is not a resource type this parameter points to`;
  }
  return `unknown modifier ':${modifier}' for a ${def.type} parameter`;
}

function isTargetType(def: SearchParamDef, name: string, tables: SearchTables): boolean {
  return (
    TYPE_NAME.test(name) &&
    lookupTable(tables, name) !== undefined &&
    (def.targets.length === 0 || def.targets.includes(name))
  );
}

function parseChain(head: string, tail: string, value: string, context: ParamContext): ParamResult {
  if (tail.includes('.')) return fail('chains deeper than one level are not supported');
  const [name, typeModifier] = splitModifier(head);
  const def = lookupParam(context.table, name);
  if (!def) return fail(`unknown search parameter for ${context.table.resourceType}`);
  if (def.type !== 'reference')
    return fail(`only reference parameters can be chained; '${name}' is ${def.type}`);
  if (typeModifier !== undefined && !isTargetType(def, typeModifier, context.tables)) {
    return fail(`'${typeModifier}' is not a resource type this parameter points to`);
  }
  const [chainedName, chainedModifier] = splitModifier(tail);
  const candidates = typeModifier !== undefined ? [typeModifier] : targetTypes(def, context.tables);
  const found = candidates.flatMap((type) => {
    const table = lookupTable(context.tables, type);
    const chained = table && lookupParam(table, chainedName);
    return table && chained ? [{ table, chained }] : [];
  });
  const first = found[0];
  if (!first)
    return fail(`'${chainedName}' is not a search parameter of ${candidates.join(', ') || 'any target'}`);
  if (found.some((entry) => entry.chained.type !== first.chained.type)) {
    return fail(
      `'${chainedName}' has different types on ${found.map((e) => e.table.resourceType).join(', ')}; name the target type (${name}:Type.${chainedName})`,
    );
  }
  const inner = parseValues(first.chained, chainedModifier, value, { ...context, table: first.table });
  if (!inner.ok) return inner;
  const param: SearchParam = { name: def.code, type: 'reference', chain: { param: inner.param }, values: [] };
  if (typeModifier !== undefined) {
    param.modifier = typeModifier;
  }
  if (found.length === 1 && param.chain) param.chain.targetType = first.table.resourceType;
  return { ok: true, param };
}

function targetTypes(def: SearchParamDef, tables: SearchTables): string[] {
  return def.targets.length > 0 ? def.targets : Object.keys(tables);
}

/** `_has:[type]:[reference parameter of type]:[parameter of type][:modifier]`, one level (STU3 and R4). */
function parseReverseChain(key: string, value: string, context: ParamContext): ParamResult {
  if (!context.rules.reverseChaining) return fail('_has is not defined in this FHIR version');
  const parts = key.split(':');
  const [, type, reference, name, modifier, ...rest] = parts;
  if (!type || !reference || !name || rest.length > 0)
    return fail('expected _has:[type]:[reference]:[parameter]');
  if (name === '_has') return fail('nested _has is not supported');
  const table = lookupTable(context.tables, type);
  if (!table) return fail(`'${type}' is not a resource type`);
  const referenceDef = lookupParam(table, reference);
  if (referenceDef?.type !== 'reference')
    return fail(`'${reference}' is not a reference parameter of ${type}`);
  const searched = context.table.resourceType;
  if (referenceDef.targets.length > 0 && !referenceDef.targets.includes(searched)) {
    return fail(`${type}:${reference} does not point at ${searched}`);
  }
  const def = lookupParam(table, name);
  if (!def) return fail(`'${name}' is not a search parameter of ${type}`);
  const inner = parseValues(def, modifier, value, { ...context, table });
  if (!inner.ok) return inner;
  return {
    ok: true,
    param: { name: '_has', type: def.type, reverse: { type, reference, param: inner.param }, values: [] },
  };
}
