/**
 * Code systems (and DSTU2 binding URIs) that required bindings of the core packages use but whose
 * codes no FHIR package lists: they are defined outside FHIR, and too large or open-ended to
 * enumerate. A required binding to one of these keeps `unresolved` with the reason below instead of
 * a code list. Keep this list small: every entry is a place where validators cannot check codes.
 */
export const EXTERNAL_CODE_SYSTEMS: Readonly<Record<string, string>> = {
  'urn:ietf:bcp:13':
    'MIME types (BCP 13) are registered by IANA and grow continually; no FHIR package lists them',
  'http://www.rfc-editor.org/bcp/bcp13.txt':
    'MIME types (BCP 13) are registered by IANA and grow continually; no FHIR package lists them',
  'urn:ietf:bcp:47':
    'language tags (BCP 47) are a grammar over IANA subtag registries, not a finite list of codes',
  'http://tools.ietf.org/html/bcp47':
    'language tags (BCP 47) are a grammar over IANA subtag registries, not a finite list of codes',
  'urn:iso:std:iso:4217': 'currency codes (ISO 4217) are published by ISO, not in the FHIR packages',
  'http://unitsofmeasure.org': 'UCUM units are a grammar (unit expressions), not a finite list of codes',
  'http://snomed.info/sct': 'SNOMED CT is licensed separately and far too large for a FHIR package',
  'http://loinc.org/vs/LL379-9':
    'a LOINC answer list (DNA structural variant types): LOINC publishes it, the FHIR package only names it',
};

/**
 * Bindings that name a web page instead of the ValueSet's canonical URL (errors in the published
 * core package), and the ValueSet meant. STU3 `DeviceRequest.intent` links the build page of
 * `request-intent`, which every other STU3 request resource binds by its canonical URL.
 */
export const BINDING_ERRATA: Readonly<Record<string, string>> = {
  'http://build.fhir.org/valueset-request-intent.html': 'http://hl7.org/fhir/ValueSet/request-intent',
};

/** The reason a system or URI cannot be resolved from the packages, when it is a known external one. */
export function externalReason(systemOrUri: string): string | undefined {
  return EXTERNAL_CODE_SYSTEMS[systemOrUri];
}
