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
    // DSTU2 reuses STU3's expressions (dstu2-constraints.ts), so it inherits STU3's ele-1 defect.
    'ele-1': {
      reason:
        "STU3's `hasValue() | (children().count() > id.count())` is a union, not a boolean: R4 fixed it to `or`",
      fix: 'hasValue() or (children().count() > id.count())',
    },
  },
  stu3: {
    'ele-1': {
      reason:
        '`hasValue() | (children().count() > id.count())` is a union of two booleans, not a boolean: R4 fixed it to `or`',
      fix: 'hasValue() or (children().count() > id.count())',
    },
  },
  r4: {},
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
