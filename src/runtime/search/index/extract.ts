/**
 * Index extraction: evaluates every parameter of a resource type's table on one resource and returns
 * the normalised rows to store. A parameter whose expression fails on this resource is reported and
 * skipped, so one odd resource never blocks a write.
 */
import type { SearchParamDef, SearchTable } from '../table';
import type { IndexRow } from './entries';
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
      rows.push(
        ...(def.type === 'composite'
          ? compositeRows(resource, def, evaluate)
          : paramRows(resource, def, evaluate)),
      );
    } catch (error) {
      problems.push({ param: def.code, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { rows, problems };
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
  for (const node of evaluate(resource, def.expression as string)) {
    for (const entry of normalise(def.type, node)) rows.push({ param: def.code, group: own++, entry });
    if (def.type === 'reference') {
      for (const entry of referenceIdentifier(node.value))
        rows.push({ param: identifierParam(def.code), group: identifiers++, entry });
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
  let group = 0;
  for (const node of evaluate(resource, def.expression as string)) {
    group++;
    const base = node.path ?? node.type;
    for (const [index, component] of def.components.entries()) {
      const parts = base === undefined ? [] : evaluate(node.value, component.expression, base, resource);
      for (const part of parts) {
        for (const entry of normalise(component.type, part)) {
          rows.push({ param: componentParam(def.code, index), group, entry });
        }
      }
    }
  }
  return rows;
}
