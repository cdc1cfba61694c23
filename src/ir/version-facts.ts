import type { FhirVersionId, JsonFormat } from './types';

/**
 * What each version's JSON format allows beyond the elements its StructureDefinitions define.
 * DSTU2 carries the comments of the XML form in `fhir_comments`, "an array of strings, which can appear
 * on any JSON object" (https://hl7.org/fhir/DSTU2/json.html), `_name` objects of primitives included.
 * STU3 removed the convention (https://hl7.org/fhir/STU3/json.html), so from STU3 on the property is
 * unknown like any other.
 */
export const JSON_FORMATS: Readonly<Record<FhirVersionId, JsonFormat>> = {
  dstu2: { commentsProperty: 'fhir_comments' },
  stu3: {},
  r4: {},
};

/**
 * Primitive regexes that a version states in its text but not in its StructureDefinitions, used where
 * the definition gives none. `instant` is "an instant in time - known at least to the second and always
 * includes a time zone" (https://hl7.org/fhir/DSTU2/datatypes.html#instant,
 * https://hl7.org/fhir/STU3/datatypes.html#instant), yet neither the 1.0.2 nor the 3.0.1 definition
 * carries a regex. Each is the version's own dateTime regex with the time, to the second, and the zone
 * made required (R4's definition states the same rule as a regex of its own).
 */
const ZONED_INSTANT =
  '-?[0-9]{4}-(0[1-9]|1[0-2])-(0[0-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';

export const PRIMITIVE_REGEXES_FROM_TEXT: Readonly<Record<FhirVersionId, Readonly<Record<string, string>>>> =
  {
    dstu2: {
      instant: ZONED_INSTANT,
    },
    stu3: {
      instant: ZONED_INSTANT,
    },
    r4: {},
  };
