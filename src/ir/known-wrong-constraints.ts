/**
 * Core constraints whose published FHIRPath expression rejects valid resources (or cannot be
 * evaluated as written), per version: each is fixed (`fix`, the expression that runs instead) or
 * skipped (no `fix`), never silently. Keyed `<key>` (every path that carries it) or `<key>@<path>`.
 * Each entry is exercised by test/invariants-known-wrong.test.ts.
 */
import type { FhirVersionId } from './types';

export interface KnownWrongConstraint {
  reason: string;
  /** The FHIR tracker item (Jira) where there is one. */
  tracker?: string;
  /** The expression evaluated instead; without one the constraint is skipped. */
  fix?: string;
}

export const KNOWN_WRONG_CONSTRAINTS: Readonly<
  Record<FhirVersionId, Readonly<Record<string, KnownWrongConstraint>>>
> = {
  dstu2: {
    'ref-1': {
      reason:
        "`%resource.contained` is, inside a contained resource, that resource's own (empty) list, so a contained resource that refers to another one of its container (`#id`, allowed by https://hl7.org/fhir/DSTU2/references.html#contained) is rejected; R4 reads `%rootResource.contained`",
      fix: "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))",
    },
    // DSTU2 reuses STU3's expressions (dstu2-constraints.ts), so it inherits STU3's ele-1 defect.
    'ele-1': {
      reason:
        "STU3's `hasValue() | (children().count() > id.count())` is a union, not a boolean: R4 fixed it to `or`",
      fix: 'hasValue() or (children().count() > id.count())',
    },
  },
  stu3: {
    'ref-1': {
      reason:
        "`%resource.contained` is, inside a contained resource, that resource's own (empty) list, so a contained resource that refers to another one of its container (`#id`, allowed by https://hl7.org/fhir/STU3/references.html#contained) is rejected; R4 reads `%rootResource.contained`",
      fix: "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))",
    },
    'ele-1': {
      reason:
        '`hasValue() | (children().count() > id.count())` is a union of two booleans, not a boolean: R4 fixed it to `or`',
      fix: 'hasValue() or (children().count() > id.count())',
    },
  },
  r4: {
    'que-7': {
      reason:
        "`answer is Boolean` names FHIRPath's System.Boolean, which a FHIR `boolean` element (answerBoolean) is not, so every valid 'exists' condition fails (the official Questionnaire-bb example among them); the FHIR type is `boolean`",
      fix: "operator = 'exists' implies (answer is boolean)",
    },
    'dom-3': {
      reason:
        '`%resource.descendants().as(canonical)` applies `as` to a collection, which FHIRPath defines on single items only (https://hl7.org/fhirpath/N1/#as-type-specifier) and the engine rejects; `ofType()` is the collection form of the same filter',
      fix: "contained.where((('#'+id in (%resource.descendants().reference | %resource.descendants().ofType(canonical) | %resource.descendants().ofType(uri) | %resource.descendants().ofType(url))) or descendants().where(reference = '#').exists() or descendants().where(as(canonical) = '#').exists() or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()",
    },
  },
};

/** The entry for a constraint, by `<key>@<path>` first, then by `<key>`. */
export function knownWrong(
  version: FhirVersionId,
  key: string,
  path: string,
): KnownWrongConstraint | undefined {
  const table = KNOWN_WRONG_CONSTRAINTS[version];
  return table[`${key}@${path}`] ?? table[key];
}
