/**
 * Parses one OR-alternative of a search value by parameter type, following
 * https://hl7.org/fhir/R4/search.html#ptypes (the STU3 and DSTU2 formats are the same, less
 * `:of-type` and `:identifier`, which the version rules refuse before values are parsed).
 */
import type { SearchParamType, SearchPrefix } from '../contracts';
import { parseDateRange } from './date-range';
import { splitEscaped, unescapeValue } from './escape';
import { foldString } from './fold';
import { parseNumberRange } from './number-range';
import { PREFIXES } from './rules';
import type { CompositeComponent } from './table';
import type { QuantityValue, ReferenceValue, TokenValue, TypedValue } from './types';

export type ValueResult = { ok: true; value: TypedValue } | { ok: false; message: string };

export interface ValueContext {
  type: SearchParamType;
  /** Modifier as written without the colon (`exact`, `Patient`), or absent. */
  modifier?: string;
  /** Reference targets (empty: any). */
  targets: readonly string[];
  /** Prefixes the parameter allows (empty: all). */
  comparators: readonly string[];
  components: readonly CompositeComponent[];
  isResourceType: (name: string) => boolean;
}

const fail = (message: string): ValueResult => ({ ok: false, message });
const TYPE_NAME = /^[A-Z][A-Za-z]+$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `text` is still escaped: it is one comma-separated piece of the value. */
export function parseValue(text: string, context: ValueContext): ValueResult {
  const raw = unescapeValue(text);
  if (raw === '') return fail('empty value');
  if (context.modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') return fail(`:missing takes true or false, not '${raw}'`);
    return { ok: true, value: { kind: 'missing', raw, missing: raw === 'true' } };
  }
  switch (context.type) {
    case 'number':
    case 'date':
    case 'quantity':
      return parsePrefixed(text, raw, context);
    case 'string':
      return { ok: true, value: { kind: 'string', raw, value: raw, folded: foldString(raw) } };
    case 'uri':
      return { ok: true, value: { kind: 'uri', raw, value: raw } };
    case 'token':
      return parseToken(text, raw, context.modifier);
    case 'reference':
      return parseReference(text, raw, context);
    case 'composite':
      return parseComposite(text, raw, context);
    case 'special':
      return fail('special parameters are not supported');
  }
}

function splitPrefix(text: string): { prefix?: SearchPrefix; rest: string } {
  const candidate = text.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(candidate)) {
    return { prefix: candidate as SearchPrefix, rest: text.slice(2) };
  }
  return { rest: text };
}

function parsePrefixed(text: string, raw: string, context: ValueContext): ValueResult {
  const { prefix, rest } = splitPrefix(text);
  if (prefix && context.comparators.length > 0 && !context.comparators.includes(prefix)) {
    return fail(`prefix '${prefix}' is not allowed on this parameter`);
  }
  const withPrefix = <T extends object>(value: T) => (prefix ? { ...value, prefix } : value);
  if (context.type === 'number') {
    const range = parseNumberRange(unescapeValue(rest));
    if (!range) return fail(`'${raw}' is not a number`);
    return { ok: true, value: withPrefix({ kind: 'number' as const, raw, ...range }) };
  }
  if (context.type === 'date') {
    const range = parseDateRange(unescapeValue(rest));
    if (!range) return fail(`'${raw}' is not a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)`);
    return { ok: true, value: withPrefix({ kind: 'date' as const, raw, ...range }) };
  }
  const quantity = parseQuantity(rest, raw);
  return quantity.ok ? { ok: true, value: withPrefix(quantity.value) } : quantity;
}

/** `[number]`, `[number]|[system]|[code]`, or `[number]||[code]` (code or unit, any system). */
function parseQuantity(rest: string, raw: string): ValueResult {
  const parts = splitEscaped(rest, '|');
  if (parts.length !== 1 && parts.length !== 3) return fail(`'${raw}' is not [number]|[system]|[code]`);
  const range = parseNumberRange(unescapeValue(parts[0] as string));
  if (!range) return fail(`'${raw}' does not start with a number`);
  const value: QuantityValue = { kind: 'quantity', raw, ...range };
  if (parts.length === 3) {
    const system = unescapeValue(parts[1] as string);
    const code = unescapeValue(parts[2] as string);
    if (code === '') return fail(`'${raw}' has a system but no code`);
    value.system = system === '' ? null : system;
    value.code = code;
  }
  return { ok: true, value };
}

function parseToken(text: string, raw: string, modifier: string | undefined): ValueResult {
  if (modifier === 'text')
    return { ok: true, value: { kind: 'text', raw, value: raw, folded: foldString(raw) } };
  if (modifier === 'in' || modifier === 'not-in')
    return { ok: true, value: { kind: 'uri', raw, value: raw } };
  const parts = splitEscaped(text, '|').map(unescapeValue);
  if (modifier === 'of-type') {
    const [typeSystem, typeCode, value] = parts;
    if (parts.length !== 3 || !typeSystem || !typeCode || !value) {
      return fail(':of-type takes [type system]|[type code]|[identifier value], all three present');
    }
    return { ok: true, value: { kind: 'token', raw, typeSystem, typeCode, code: value } };
  }
  if (parts.length > 2) return fail(`'${raw}' has more than one '|' (escape it as \\|)`);
  const token: TokenValue = { kind: 'token', raw };
  if (parts.length === 1) {
    token.code = parts[0] as string;
  } else {
    const [system, code] = parts as [string, string];
    if (system === '' && code === '') return fail(`'${raw}' has neither system nor code`);
    token.system = system === '' ? null : system;
    if (code !== '') token.code = code;
  }
  return { ok: true, value: token };
}

function parseReference(text: string, raw: string, context: ValueContext): ValueResult {
  const { modifier, targets } = context;
  if (modifier === 'identifier') return parseToken(text, raw, undefined);
  if (modifier && TYPE_NAME.test(modifier)) {
    if (!ID.test(raw)) return fail(`with :${modifier} the value must be an id, not '${raw}'`);
    return { ok: true, value: { kind: 'reference', raw, resourceType: modifier, id: raw } };
  }
  const value: ReferenceValue = { kind: 'reference', raw };
  const [location, version] = splitCanonicalVersion(raw);
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) {
    value.url = location;
    if (version !== undefined) value.version = version;
    const tail = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(location);
    if (tail && context.isResourceType(tail[1] as string)) {
      value.resourceType = tail[1] as string;
      value.id = tail[2] as string;
    }
  } else {
    const relative =
      /^(?:([A-Z][A-Za-z]+)\/)?([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/.exec(raw);
    if (!relative) return fail(`'${raw}' is not an id, [type]/[id] or an absolute URL`);
    if (relative[1] !== undefined) {
      if (!context.isResourceType(relative[1])) return fail(`'${relative[1]}' is not a resource type`);
      value.resourceType = relative[1];
    }
    value.id = relative[2] as string;
    if (relative[3] !== undefined) value.version = relative[3];
  }
  if (value.resourceType && targets.length > 0 && !targets.includes(value.resourceType)) {
    return fail(`'${value.resourceType}' is not a target of this parameter (${targets.join(', ')})`);
  }
  return { ok: true, value };
}

/** Canonical references may end in `|version` (R4 search.html#versions). */
function splitCanonicalVersion(raw: string): [string, string | undefined] {
  const bar = raw.lastIndexOf('|');
  return bar < 0 ? [raw, undefined] : [raw.slice(0, bar), raw.slice(bar + 1)];
}

/** `code-value-quantity=http://loinc.org|8480-6$gt100`: one part per component, joined by `$`. */
function parseComposite(text: string, raw: string, context: ValueContext): ValueResult {
  const parts = splitEscaped(text, '$');
  if (context.components.length === 0) return fail('this composite parameter has no known components');
  if (parts.length !== context.components.length) {
    return fail(`'${raw}' needs ${context.components.length} parts separated by '$'`);
  }
  const components: TypedValue[] = [];
  for (const [i, component] of context.components.entries()) {
    const parsed = parseValue(parts[i] as string, {
      ...context,
      type: component.type,
      modifier: undefined,
      components: [],
      comparators: [],
      targets: [],
    });
    if (!parsed.ok) return fail(`component ${component.code}: ${parsed.message}`);
    components.push(parsed.value);
  }
  return { ok: true, value: { kind: 'composite', raw, components } };
}
