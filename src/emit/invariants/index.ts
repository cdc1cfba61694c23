import { allStructures } from '../../ir/lookup';
import type { Element, FhirModel } from '../../ir/types';
import type { InvariantData, InvariantRule, WalkElement, WalkStructure } from './data';

export type { InvariantData, InvariantRule, WalkElement, WalkStructure } from './data';

/** Where the invariant data of a version goes, relative to `generated/<version>/`. */
export const INVARIANTS_FILE = 'invariants/invariants.json';

/**
 * The checked constraints of a model and the structure tables to find, at each node of a resource,
 * the ones that hold there (https://hl7.org/fhir/R4/conformance-rules.html#constraints). Pure.
 */
export function emitInvariants(model: FhirModel): Map<string, string> {
  return new Map([[INVARIANTS_FILE, `${JSON.stringify(invariantData(model))}\n`]]);
}

export function invariantData(model: FhirModel): InvariantData {
  const structures: Record<string, WalkStructure> = {};
  for (const type of allStructures(model)) {
    const structure: WalkStructure =
      type.kind === 'backbone'
        ? { owner: type.owner, path: type.path, elements: type.elements.map(walkElement) }
        : { owner: type.name, path: type.name, elements: type.elements.map(walkElement) };
    const base =
      type.kind === 'complex-type'
        ? (type.constraintOn ?? type.base)
        : type.kind === 'resource'
          ? type.base
          : undefined;
    if (base !== undefined) structure.base = base;
    structures[type.name] = structure;
  }
  const rules: InvariantRule[] = [];
  const ruleIndex = new Map<string, number>();
  const constraints: Record<string, Record<string, number[]>> = {};
  for (const constraint of model.constraints) {
    if (constraint.expression === undefined) continue;
    const rule: InvariantRule = {
      key: constraint.key,
      severity: constraint.severity,
      human: constraint.human,
      expression: constraint.expression,
    };
    const id = JSON.stringify(rule);
    let index = ruleIndex.get(id);
    if (index === undefined) {
      index = rules.push(rule) - 1;
      ruleIndex.set(id, index);
    }
    const byPath = constraints[constraint.owner] ?? {};
    constraints[constraint.owner] = byPath;
    byPath[constraint.path] = [...(byPath[constraint.path] ?? []), index];
  }
  return { fhirVersion: model.version.fhirVersion, structures, rules, constraints };
}

function walkElement(element: Element): WalkElement {
  const kind = { primitive: 'p', complex: 'c', backbone: 'b', resource: 'r' } as const;
  return [element.name, element.type.name, kind[element.type.kind], element.path];
}
