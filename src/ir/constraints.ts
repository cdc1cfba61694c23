/**
 * Pass "constraints": every `ElementDefinition.constraint` of every type's snapshot
 * (https://hl7.org/fhir/R4/conformance-rules.html#constraints), with the FHIRPath expression that
 * will run. DSTU2 publishes XPath only, so its expressions come from STU3 where the meaning is the
 * same (dstu2-constraints.ts); published expressions known to be wrong are fixed or skipped
 * (known-wrong-constraints.ts). Versions differ here, as data.
 */
import { compare } from './backbone-names';
import { typeNameOf } from './collect';
import { DSTU2_REUSED_EXPRESSIONS, DSTU2_UNCHECKED } from './dstu2-constraints';
import { knownWrong } from './known-wrong-constraints';
import type { RawConstraint, RawStructureDefinition } from './raw';
import { asPath, type Constraint, type FhirModel, type FhirVersionId, type UncheckedReason } from './types';

export function collectConstraints(
  definitions: RawStructureDefinition[],
  version: FhirVersionId,
): Constraint[] {
  const found = new Map<string, Constraint>();
  for (const definition of definitions) {
    const owner = typeNameOf(definition);
    for (const element of definition.snapshot?.element ?? []) {
      for (const raw of element.constraint ?? []) {
        if (raw.key === undefined) continue;
        const path = ownerPath(element.path, owner);
        // A path can repeat in a snapshot (slices); its constraints are the same.
        const id = `${owner}|${path}|${raw.key}`;
        if (!found.has(id)) found.set(id, constraintOf(raw, raw.key, path, owner, version));
      }
    }
  }
  return [...found.values()].sort(
    (a, b) => compare(a.owner, b.owner) || compare(a.path, b.path) || compare(a.key, b.key),
  );
}

/**
 * Paths rooted at the type that carries them: a constraint type's snapshot is written on the type it
 * constrains (`Quantity.code` in `Age`, `SimpleQuantity`), but its rules hold where `Age` is used.
 */
function ownerPath(path: string, owner: string): string {
  const dot = path.indexOf('.');
  const root = dot === -1 ? path : path.slice(0, dot);
  return root === owner ? path : `${owner}${dot === -1 ? '' : path.slice(dot)}`;
}

function constraintOf(
  raw: RawConstraint,
  key: string,
  path: string,
  owner: string,
  version: FhirVersionId,
): Constraint {
  const constraint: Constraint = {
    key,
    severity: raw.severity === 'warning' ? 'warning' : 'error',
    human: (raw.human ?? '').trim(),
    path: asPath(path),
    owner,
  };
  if (raw.xpath !== undefined) constraint.xpath = raw.xpath;
  const published = raw.expression;
  if (published !== undefined) constraint.publishedExpression = published;
  let expression = published;
  let source: Constraint['expressionSource'] = 'definition';
  if (expression === undefined) {
    expression = DSTU2_REUSED_EXPRESSIONS[`${key}@${path}`];
    source = 'stu3';
  }
  const wrong = knownWrong(version, key, path);
  if (wrong !== undefined && expression !== undefined) {
    expression = wrong.fix;
    source = 'fixed';
    if (wrong.fix === undefined) constraint.unchecked = 'known-wrong';
  }
  if (expression === undefined) {
    constraint.unchecked ??= DSTU2_UNCHECKED[`${key}@${path}`] ?? 'no-stu3-counterpart';
  } else {
    constraint.expression = expression;
    constraint.expressionSource = source;
  }
  return constraint;
}

export interface ConstraintCounts {
  total: number;
  checked: number;
  unchecked: Partial<Record<UncheckedReason, number>>;
}

/** How many constraints a model checks, and how many it does not, by reason. */
export function constraintCounts(model: Pick<FhirModel, 'constraints'>): ConstraintCounts {
  const counts: ConstraintCounts = { total: model.constraints.length, checked: 0, unchecked: {} };
  for (const constraint of model.constraints) {
    if (constraint.unchecked === undefined) counts.checked += 1;
    else counts.unchecked[constraint.unchecked] = (counts.unchecked[constraint.unchecked] ?? 0) + 1;
  }
  return counts;
}
