/**
 * String search compares case- and accent-insensitively (https://hl7.org/fhir/R4/search.html#string):
 * both the indexed value and the searched one are folded the same way.
 */
export function foldString(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}
