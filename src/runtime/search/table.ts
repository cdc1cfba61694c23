/**
 * The search-parameter table: plain data, one per resource type, that a generated project carries in
 * `src/fhir/<version>/` and that the parser, the indexer and the engine read. It is emitted from the IR
 * (see `from-ir.ts`) and holds nothing that needs the IR at run time.
 */
import type { SearchParamType } from '../contracts';

export type FhirVersion = 'dstu2' | 'stu3' | 'r4';

/** One part of a composite parameter, e.g. `code` and `value-quantity` of `code-value-quantity`. */
export interface CompositeComponent {
  code: string;
  type: SearchParamType;
  /** FHIRPath evaluated on each node the composite's own expression selects. */
  expression: string;
}

export interface SearchParamDef {
  code: string;
  type: SearchParamType;
  /**
   * The FHIRPath expression used for indexing: the definition's own (STU3, R4) or one derived from
   * the xpath (DSTU2, whose definitions carry only xpath). Absent when neither exists.
   */
  expression?: string;
  xpath?: string;
  /** Resource types a reference parameter may point to; empty means any. */
  targets: string[];
  /** Modifiers the definition lists (R4); empty means "whatever the version allows for the type". */
  modifiers: string[];
  /** Prefixes the definition lists (R4); empty means "whatever the version allows for the type". */
  comparators: string[];
  components: CompositeComponent[];
  /** Applies to every resource type (`_id`, `_lastUpdated`, ...). */
  common: boolean;
  /** Why the parameter cannot be indexed by the embedded store; the parser still accepts it. */
  unsupported?: string;
}

export interface SearchTable {
  resourceType: string;
  params: Record<string, SearchParamDef>;
  /** Top-level elements `_summary=true` keeps (summary and mandatory ones; choices by group name). */
  summary?: string[];
  /** Top-level mandatory elements, kept by `_summary=text` and `_elements` too. */
  mandatory?: string[];
}

/** All tables of one FHIR version, by resource type. */
export type SearchTables = Record<string, SearchTable>;

/**
 * Looks a parameter up by the name a client sent. Own properties only: a table emitted as an object
 * literal inherits from Object.prototype, and `?constructor=x` must not find `Object`.
 */
export function lookupParam(table: SearchTable, code: string): SearchParamDef | undefined {
  return Object.hasOwn(table.params, code) ? table.params[code] : undefined;
}

export function lookupTable(tables: SearchTables, resourceType: string): SearchTable | undefined {
  return Object.hasOwn(tables, resourceType) ? tables[resourceType] : undefined;
}
