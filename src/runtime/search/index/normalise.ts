/**
 * Turns the values an expression selected into index entries, by parameter type and by the FHIR type
 * of each value, following the type tables of https://hl7.org/fhir/R4/search.html#ptypes (which
 * data types each search type matches, and how: `Identifier` as system|value, `Period` as a range,
 * `HumanName` by its parts ...). Values that a type cannot index are skipped, never thrown on.
 */
import type { SearchParamType } from '../../contracts';
import { parseDateRange } from '../date-range';
import { foldString } from '../fold';
import { type IndexEntry, MAX_TIME, MIN_TIME, type QuantityEntry, type TokenEntry } from './entries';
import type { SelectedNode } from './evaluate';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

export function normalise(type: SearchParamType, node: SelectedNode): IndexEntry[] {
  switch (type) {
    case 'string':
      return stringParts(node.value).map((part) => ({ kind: 'string', folded: folded(part), exact: part }));
    case 'token':
      return tokens(node);
    case 'date':
      return dateRange(node.value);
    case 'number':
      return numbers(node.value);
    case 'quantity':
      return quantities(node.value);
    case 'reference':
      return references(node.value);
    case 'uri':
      return typeof node.value === 'string' && node.value !== '' ? [{ kind: 'uri', value: node.value }] : [];
    default:
      return [];
  }
}

/** HumanName and Address match on each part (search.html#string); other structures on their strings. */
function stringParts(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!isObject(value)) return [];
  const keys = [
    'text',
    'family',
    'given',
    'prefix',
    'suffix',
    'line',
    'city',
    'district',
    'state',
    'postalCode',
    'country',
  ];
  const named = keys.flatMap((key) =>
    list(value[key]).filter((part): part is string => typeof part === 'string'),
  );
  if (named.length > 0) return named;
  return Object.values(value).flatMap((child) =>
    list(child).filter((part): part is string => typeof part === 'string'),
  );
}

function token(fields: Partial<TokenEntry>): TokenEntry {
  return {
    kind: 'token',
    system: fields.system ?? null,
    code: fields.code ?? null,
    text: fields.text ?? null,
    typeSystem: fields.typeSystem ?? null,
    typeCode: fields.typeCode ?? null,
  };
}

/**
 * Folding (Unicode decomposition and a regular expression) is the dearest step of string values, and
 * a resource repeats its strings across parameters (`name`, `family`, `given`): each is folded once,
 * from a bounded cache shared by the writes.
 */
const foldings = new Map<string, string>();
function folded(value: string): string {
  let done = foldings.get(value);
  if (done === undefined) {
    done = foldString(value);
    if (foldings.size >= 10_000) foldings.clear();
    foldings.set(value, done);
  }
  return done;
}

const foldedText = (value: unknown): string | null => {
  const found = text(value);
  return found === null ? null : folded(found);
};

function tokens(node: SelectedNode): TokenEntry[] {
  const { value, type } = node;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') {
    return [token({ code: String(value) })];
  }
  if (!isObject(value)) return [];
  if (type === 'ContactPoint') return text(value.value) ? [token({ code: text(value.value) })] : [];
  if (type === 'Identifier' || (type === undefined && 'value' in value && !('code' in value))) {
    const typeText = isObject(value.type) ? foldedText(value.type.text) : null;
    const typeCodings = isObject(value.type) ? list(value.type.coding).filter(isObject) : [];
    const base = { system: text(value.system), code: text(value.value), text: typeText };
    if (typeCodings.length === 0) return [token(base)];
    return typeCodings.map((coding) =>
      token({ ...base, typeSystem: text(coding.system), typeCode: text(coding.code) }),
    );
  }
  if ('coding' in value || (type === 'CodeableConcept' && 'text' in value)) {
    const conceptText = foldedText(value.text);
    const codings = list(value.coding).filter(isObject);
    // Each coding with its display, and the concept's own text as a row of its own, so that `:text`
    // finds either (search.html#modifiers: CodeableConcept.text and Coding.display).
    const entries = codings.map((coding) =>
      token({ system: text(coding.system), code: text(coding.code), text: foldedText(coding.display) }),
    );
    return conceptText === null ? entries : [...entries, token({ text: conceptText })];
  }
  if ('code' in value || 'system' in value) {
    return [token({ system: text(value.system), code: text(value.code), text: foldedText(value.display) })];
  }
  return [];
}

/** date, dateTime and instant by their precision; Period by its ends (open ends unbounded); Timing by its events. */
function dateRange(value: unknown): IndexEntry[] {
  if (typeof value === 'string') {
    const range = parseDateRange(value);
    return range ? [{ kind: 'date', ...range }] : [];
  }
  if (!isObject(value)) return [];
  if ('start' in value || 'end' in value) {
    const start = typeof value.start === 'string' ? parseDateRange(value.start) : undefined;
    const end = typeof value.end === 'string' ? parseDateRange(value.end) : undefined;
    if (!start && !end) return [];
    return [{ kind: 'date', low: start?.low ?? MIN_TIME, high: end?.high ?? MAX_TIME }];
  }
  const events = list(value.event).flatMap(dateRange);
  const repeat = isObject(value.repeat) ? value.repeat : undefined;
  const bounds = repeat && isObject(repeat.boundsPeriod) ? dateRange(repeat.boundsPeriod) : [];
  const all = [...events, ...bounds].filter((entry) => entry.kind === 'date');
  if (all.length === 0) return [];
  return [
    { kind: 'date', low: Math.min(...all.map((e) => e.low)), high: Math.max(...all.map((e) => e.high)) },
  ];
}

function numbers(value: unknown): IndexEntry[] {
  if (typeof value === 'number' && Number.isFinite(value)) return [{ kind: 'number', value }];
  if (isObject(value) && typeof value.value === 'number') return [{ kind: 'number', value: value.value }];
  return [];
}

/** Quantity, Age, Duration, Money (currency as the code, search.html#quantity) and Range. */
function quantities(value: unknown): QuantityEntry[] {
  if (typeof value === 'number')
    return [{ kind: 'quantity', low: value, high: value, system: null, code: null, unit: null }];
  if (!isObject(value)) return [];
  if ('low' in value || 'high' in value) {
    const low = isObject(value.low) ? quantities(value.low)[0] : undefined;
    const high = isObject(value.high) ? quantities(value.high)[0] : undefined;
    const units = low ?? high;
    if (!units) return [];
    return [{ ...units, low: low?.low ?? -Number.MAX_VALUE, high: high?.high ?? Number.MAX_VALUE }];
  }
  if (typeof value.value !== 'number') return [];
  const currency = text(value.currency);
  return [
    {
      kind: 'quantity',
      low: value.value,
      high: value.value,
      system: currency ? 'urn:iso:std:iso:4217' : text(value.system),
      code: currency ?? text(value.code),
      unit: text(value.unit),
    },
  ];
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABSOLUTE_TAIL = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** Reference by `Type/id` or URL (contained `#id` references point inside the resource: skipped); canonical by URL. */
function references(value: unknown): IndexEntry[] {
  const reference = isObject(value) ? text(value.reference) : text(value);
  if (reference === null || reference.startsWith('#')) return [];
  const relative = RELATIVE.exec(reference);
  if (relative) {
    return [
      {
        kind: 'reference',
        targetType: relative[1] as string,
        targetId: relative[2] as string,
        url: null,
        version: null,
      },
    ];
  }
  const bar = reference.lastIndexOf('|');
  const url = bar < 0 ? reference : reference.slice(0, bar);
  const tail = ABSOLUTE_TAIL.exec(url);
  return [
    {
      kind: 'reference',
      targetType: tail ? (tail[1] as string) : null,
      targetId: tail ? (tail[2] as string) : null,
      url,
      version: bar < 0 ? null : reference.slice(bar + 1),
    },
  ];
}

/** `Reference.identifier`, indexed as a token for `:identifier` (R4). */
export function referenceIdentifier(value: unknown): TokenEntry[] {
  if (!isObject(value) || !isObject(value.identifier)) return [];
  return tokens({ value: value.identifier, type: 'Identifier' });
}
