/**
 * Builds a version's `VersionBinding` from its generated parts: the facts and search tables emitted
 * as JSON, the classes' `fromJSON`, and the schemas' `validate`.
 */
import type { CompartmentParamDef, OutcomeIssue, SearchParamDef, VersionBinding } from '../binding';
import type { InvariantData } from '../invariants/data';
import { type FhirpathModel, InvariantEvaluator } from '../invariants/evaluator';
import { invariantIssues } from '../invariants/outcome';
import type { SearchTables } from '../search/table';

export interface VersionFactsJson {
  id: string;
  label: string;
  fhirVersion: string;
  mimeType: string;
  basePath: string;
  capabilityType: string;
  interactionCodes: { resource: string[]; system: string[] };
  operationDefinition: string;
  resourceOperations: boolean;
  capabilityRequired: string[];
  issuePathField: string;
  resourceTypes: string[];
  /** Absent in the facts of fhirgen versions before compartments were generated. */
  patientCompartment?: { source: string; resources: Record<string, CompartmentParamDef[]> };
}

export interface GeneratedParts {
  facts: VersionFactsJson;
  /** Parsed from JSON, so its string unions arrive as plain strings; the emitter wrote valid tables. */
  searchTables: Record<string, unknown>;
  fromJSON(json: unknown, report?: { dropped: { path: string }[] }): unknown;
  validate(json: unknown): { valid: boolean; issues: { code: string; diagnostics: string; path: string }[] };
  /** The version's invariant data, the engine's model of the version and its ValueSets, read on first use. */
  invariants?: () => {
    data: InvariantData;
    model: FhirpathModel;
    valueSets: Readonly<Record<string, readonly string[]>>;
  };
}

/** Capability elements required before R4 that a server states the same way everywhere. */
const REQUIRED_DEFAULTS: Readonly<Record<string, unknown>> = { acceptUnknown: 'no' };

export function createVersionBinding(parts: GeneratedParts): VersionBinding {
  const { facts } = parts;
  const pathField = facts.issuePathField === 'location' ? 'location' : 'expression';
  const required = Object.fromEntries(
    facts.capabilityRequired
      .filter((name) => name in REQUIRED_DEFAULTS)
      .map((name) => [name, REQUIRED_DEFAULTS[name]]),
  );
  return {
    id: facts.id,
    label: facts.label,
    fhirVersion: facts.fhirVersion,
    mimeType: facts.mimeType,
    capabilityType: facts.capabilityType,
    capability: {
      interactionCodes: [...facts.interactionCodes.resource, ...facts.interactionCodes.system],
      operationDefinition: facts.operationDefinition === 'canonical' ? 'canonical' : 'reference',
      resourceOperations: facts.resourceOperations,
      required,
    },
    resourceTypes: facts.resourceTypes,
    searchParams: bindingSearchParams(parts.searchTables as SearchTables),
    ...(facts.patientCompartment === undefined
      ? {}
      : { patientCompartment: facts.patientCompartment.resources }),
    cast(json) {
      const report = { dropped: [] as { path: string }[] };
      const resource = parts.fromJSON(json, report);
      return { resource, dropped: report.dropped.map((entry) => entry.path) };
    },
    ...(parts.invariants === undefined ? {} : { invariants: invariantCheck(parts, pathField) }),
    validate(json) {
      return parts.validate(json).issues.map(
        (issue): OutcomeIssue => ({
          severity: 'error',
          code: issue.code,
          diagnostics: issue.diagnostics,
          [pathField]: [issue.path],
        }),
      );
    },
  };
}

function bindingSearchParams(tables: SearchTables): Record<string, SearchParamDef[]> {
  const byType: Record<string, SearchParamDef[]> = {};
  for (const [type, table] of Object.entries(tables)) {
    byType[type] = Object.values(table.params).map((param) => {
      const def: SearchParamDef = { name: param.code, type: param.type };
      if (param.expression !== undefined) def.expression = param.expression;
      if (param.targets.length > 0) def.target = param.targets;
      return def;
    });
  }
  return byType;
}

/**
 * The binding's invariant check: the evaluator is made (every expression parsed) on the first call,
 * which the server makes at start for each version it serves (`buildServer`).
 */
function invariantCheck(
  parts: GeneratedParts,
  pathField: 'expression' | 'location',
): NonNullable<VersionBinding['invariants']> {
  let evaluator: InvariantEvaluator | undefined;
  return (resource) => {
    if (evaluator === undefined) {
      const { data, model, valueSets } = (parts.invariants as NonNullable<GeneratedParts['invariants']>)();
      evaluator = new InvariantEvaluator(data, {
        model,
        valueSets,
        validate: (json) => parts.validate(json).valid,
      });
    }
    return invariantIssues(evaluator.check(resource), pathField);
  };
}
