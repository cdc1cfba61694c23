/**
 * Index extraction: evaluates every parameter of a resource type's table on one resource and returns
 * the normalised rows to store. A parameter whose expression fails on this resource is reported and
 * skipped, so one odd resource never blocks a write.
 */
import type { SearchParamDef, SearchTable } from '../table';
import type { IndexEntry, IndexRow } from './entries';
import type { Evaluate } from './evaluate';
import { normalise, referenceIdentifier } from './normalise';

export interface ExtractProblem {
  param: string;
  message: string;
}

export interface Extracted {
  rows: IndexRow[];
  problems: ExtractProblem[];
}

/** Row names of a composite's components: `code-value-quantity.0`, `code-value-quantity.1`. */
export const componentParam = (code: string, index: number): string => `${code}.${index}`;
/** Row name of a reference's `identifier`, searched with `:identifier` (R4). */
export const identifierParam = (code: string): string => `${code}:identifier`;

export function extractRows(resource: unknown, table: SearchTable, evaluate: Evaluate): Extracted {
  const rows: IndexRow[] = [];
  const problems: ExtractProblem[] = [];
  for (const def of Object.values(table.params)) {
    if (def.unsupported || !def.expression) continue;
    try {
      rows.push(...extractParam(resource, def, evaluate));
    } catch (error) {
      problems.push({ param: def.code, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { rows, problems };
}

/** The rows of one parameter (throws what its expression throws). */
export function extractParam(resource: unknown, def: SearchParamDef, evaluate: Evaluate): IndexRow[] {
  return def.type === 'composite'
    ? compositeRows(resource, def, evaluate)
    : paramRows(resource, def, evaluate);
}

/**
 * A search matches a resource when one of its values matches (search.html#combining), so a value
 * that two elements (or two paths of a union) yield is stored once: `seen` holds the values kept.
 */
function distinct(entry: IndexEntry, seen: Set<string>): boolean {
  const key = entryKey(entry);
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

/** The entry's values joined (no value holds U+0001): cheaper than JSON on every value of every write. */
function entryKey(entry: IndexEntry): string {
  switch (entry.kind) {
    case 'string':
      return entry.exact;
    case 'token':
      return `${entry.system}\u0001${entry.code}\u0001${entry.text}\u0001${entry.typeSystem}\u0001${entry.typeCode}`;
    case 'date':
      return `${entry.low}\u0001${entry.high}`;
    case 'number':
      return String(entry.value);
    case 'quantity':
      return `${entry.low}\u0001${entry.high}\u0001${entry.system}\u0001${entry.code}\u0001${entry.unit}`;
    case 'reference':
      return `${entry.targetType}\u0001${entry.targetId}\u0001${entry.url}\u0001${entry.version}`;
    case 'uri':
      return entry.value;
  }
}

/**
 * Rows of a plain parameter are numbered 0, 1, 2 ... in `group`, so that a resource with several
 * values of a parameter has a row with group 1: the engine answers repeated (ANDed) parameters from
 * single rows for every other resource (sql/engine.ts `sameParam`).
 */
function paramRows(resource: unknown, def: SearchParamDef, evaluate: Evaluate): IndexRow[] {
  const rows: IndexRow[] = [];
  let own = 0;
  let identifiers = 0;
  const seen = new Set<string>();
  const seenIdentifiers = new Set<string>();
  for (const node of evaluate(resource, def.expression as string)) {
    for (const entry of normalise(def.type, node)) {
      if (distinct(entry, seen)) rows.push({ param: def.code, group: own++, entry });
    }
    if (def.type === 'reference') {
      for (const entry of referenceIdentifier(node.value)) {
        if (distinct(entry, seenIdentifiers))
          rows.push({ param: identifierParam(def.code), group: identifiers++, entry });
      }
    }
  }
  return rows;
}

/**
 * Each node the composite's expression selects is one group; its components are evaluated on that
 * node, so `code-value-quantity` pairs a code with the value of the same observation or component
 * (https://hl7.org/fhir/R4/search.html#composite).
 */
function compositeRows(resource: unknown, def: SearchParamDef, evaluate: Evaluate): IndexRow[] {
  const rows: IndexRow[] = [];
  const groups = new Set<string>();
  let group = 0;
  for (const node of evaluate(resource, def.expression as string)) {
    const base = node.path ?? node.type;
    const mine: IndexRow[] = [];
    let complete = true;
    for (const [index, component] of def.components.entries()) {
      const parts = base === undefined ? [] : evaluate(node.value, component.expression, base, resource);
      const seen = new Set<string>();
      const before = mine.length;
      for (const part of parts) {
        for (const entry of normalise(component.type, part)) {
          if (distinct(entry, seen))
            mine.push({ param: componentParam(def.code, index), group: group + 1, entry });
        }
      }
      if (mine.length === before) complete = false;
    }
    // A node matches only when every component does (search.html#composite): one without a value
    // for a component (an Observation's code without a valueQuantity) can never match, nor counts
    // as having a value.
    if (!complete) continue;
    // Two nodes with the same values match the same searches: the second adds nothing.
    const same = JSON.stringify(mine.map((row) => [row.param, row.entry]));
    if (groups.has(same)) continue;
    groups.add(same);
    group++;
    rows.push(...mine);
  }
  return rows;
}
