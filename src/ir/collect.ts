import { FhirgenError } from '../errors';
import type { DefinitionIndex } from './definition-index';
import type { RawStructureDefinition } from './raw';
import { asArray } from './raw';
import { normaliseTypeCode } from './type-codes';

/** The StructureDefinitions the model is built from, by category, in index order. */
export interface CollectedTypes {
  primitives: RawStructureDefinition[];
  complexTypes: RawStructureDefinition[];
  resources: RawStructureDefinition[];
}

export type TypeCategory = 'primitive' | 'complex' | 'resource';

/**
 * Pass "collect": picks the type definitions of the model.
 * - Base definitions: `derivation = specialization` (STU3/R4), or neither a derivation nor a
 *   `constrainedType` (the roots `Element`/`Resource`, and every DSTU2 base type).
 * - Constraints that elements use as a type: DSTU2 defines `code`, `id`, `Age`, `Money`,
 *   `SimpleQuantity` ... as constraints and elements name them as type codes; STU3/R4 elements name
 *   `SimpleQuantity` as a profile on `Quantity`. They are added until no new one is found.
 * - Logical models, extensions and resource profiles are not types and are left out.
 */
export function collectTypeDefinitions(index: DefinitionIndex): CollectedTypes {
  const byName = new Map<string, RawStructureDefinition>();
  const constraintsByName = new Map<string, RawStructureDefinition>();
  for (const definition of index.structureDefinitions.values()) {
    if (categoryOf(definition) === undefined || !definition.snapshot) continue;
    const name = typeNameOf(definition);
    if (isConstraint(definition) && !isPrimitiveConstraint(definition)) {
      if (!constraintsByName.has(name)) constraintsByName.set(name, definition);
    } else if (!byName.has(name)) {
      byName.set(name, definition);
    }
  }
  addUsedConstraints(byName, constraintsByName);
  const collected: CollectedTypes = { primitives: [], complexTypes: [], resources: [] };
  for (const definition of byName.values()) {
    const category = categoryOf(definition);
    if (category === 'primitive') collected.primitives.push(definition);
    else if (category === 'complex') collected.complexTypes.push(definition);
    else if (category === 'resource') collected.resources.push(definition);
  }
  if (collected.resources.length === 0) {
    throw new FhirgenError('INVALID_DEFINITION', 'the packages define no resource types', {
      hint: 'pass a FHIR core package (r4, stu3 or dstu2)',
    });
  }
  return collected;
}

function addUsedConstraints(
  byName: Map<string, RawStructureDefinition>,
  constraintsByName: Map<string, RawStructureDefinition>,
): void {
  let pending = [...byName.values()];
  while (pending.length > 0) {
    const added: RawStructureDefinition[] = [];
    for (const used of usedTypeNames(pending)) {
      if (byName.has(used)) continue;
      const constraint = constraintsByName.get(used);
      // Only data types: a resource profile is never an element's type.
      const category = constraint === undefined ? undefined : categoryOf(constraint);
      if (!constraint || category === undefined || category === 'resource') continue;
      byName.set(typeNameOf(constraint), constraint);
      added.push(constraint);
    }
    pending = added;
  }
}

/** The type codes and profile URLs (their last segment) that the elements of `definitions` use. */
function usedTypeNames(definitions: RawStructureDefinition[]): string[] {
  const names = new Set<string>();
  for (const definition of definitions) {
    for (const element of definition.snapshot?.element ?? []) {
      for (const type of element.type ?? []) {
        const code = normaliseTypeCode(type);
        if (code) names.add(code);
        for (const profile of asArray(type.profile)) names.add(lastSegment(profile));
      }
    }
  }
  return [...names];
}

/** What a definition is, or undefined when it is not a type of the model (logical model, extension). */
export function categoryOf(definition: RawStructureDefinition): TypeCategory | undefined {
  if (constrainedTypeOf(definition) === 'Extension' || typeNameOf(definition) === 'Extension') {
    return isConstraint(definition) ? undefined : 'complex';
  }
  switch (definition.kind) {
    case 'primitive-type':
      return 'primitive';
    case 'complex-type':
      return 'complex';
    case 'resource':
      return 'resource';
    case 'datatype':
      // DSTU2 has one kind for all data types; FHIR names primitive types in lower case
      // (https://hl7.org/fhir/DSTU2/datatypes.html#primitive).
      return /^[a-z]/.test(typeNameOf(definition)) ? 'primitive' : 'complex';
    default:
      return undefined;
  }
}

/**
 * DSTU2 defines `code`, `id`, `markdown`, `oid`, `positiveInt`, `unsignedInt` and `uuid` as
 * constraints on other primitives; they are primitive types of the version, used or not
 * (https://hl7.org/fhir/DSTU2/datatypes.html#primitive).
 */
function isPrimitiveConstraint(definition: RawStructureDefinition): boolean {
  return isConstraint(definition) && categoryOf(definition) === 'primitive';
}

/** STU3/R4 `derivation: constraint`; DSTU2 marks constraints with `constrainedType`. */
export function isConstraint(definition: RawStructureDefinition): boolean {
  return definition.derivation === 'constraint' || definition.constrainedType !== undefined;
}

/** The type a constraint constrains (`Quantity` for `SimpleQuantity`). */
export function constrainedTypeOf(definition: RawStructureDefinition): string | undefined {
  if (definition.constrainedType !== undefined) return definition.constrainedType;
  return definition.derivation === 'constraint' ? definition.type : undefined;
}

/**
 * A definition's type name: `type` (STU3/R4) or `name` (DSTU2) for base types; for constraints the
 * last segment of the canonical URL (`SimpleQuantity`), which is what DSTU2 element type codes use.
 */
export function typeNameOf(definition: RawStructureDefinition): string {
  if (isConstraint(definition)) return lastSegment(definition.url);
  return definition.type ?? definition.name;
}

/** The name of the definition this one derives from (`DomainResource`, `integer`), when any. */
export function baseNameOf(definition: RawStructureDefinition): string | undefined {
  const base = definition.baseDefinition ?? definition.base;
  return base === undefined ? undefined : lastSegment(base);
}

export function lastSegment(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
