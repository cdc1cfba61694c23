import type { FhirVersionId } from './types';

/**
 * Primitive regexes that a version states in its text but not in its StructureDefinitions, used where
 * the definition gives none. DSTU2's `instant` is "an instant in time - known at least to the second
 * and always includes a time zone" (https://hl7.org/fhir/DSTU2/datatypes.html#instant), yet its 1.0.2
 * definition carries no regex. This is DSTU2's own dateTime regex with the time, to the second, and the
 * zone made required.
 */
export const PRIMITIVE_REGEXES_FROM_TEXT: Readonly<Record<FhirVersionId, Readonly<Record<string, string>>>> =
  {
    dstu2: {
      instant:
        '-?[0-9]{4}-(0[1-9]|1[0-2])-(0[0-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))',
    },
    stu3: {},
    r4: {},
  };
