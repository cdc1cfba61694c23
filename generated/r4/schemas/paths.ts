/**
 * Turns ajv's JSON Pointer (`/contact/0/gender`) into a FHIRPath-like expression
 * (`Patient.contact[0].gender`). A primitive's `_x` sibling is FHIRPath's `x` (its id and extensions are
 * reached through the element itself: https://hl7.org/fhir/R4/fhirpath.html).
 */
export function fhirPath(root: string, pointer: string, child?: string): string {
  let path = root;
  for (const segment of pointerSegments(pointer)) {
    path += /^(0|[1-9][0-9]*)$/.test(segment) ? `[${segment}]` : `.${propertyName(segment)}`;
  }
  return child === undefined ? path : `${path}.${propertyName(child)}`;
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The last property name of a pointer, skipping array indexes. */
export function lastProperty(pointer: string): string | undefined {
  const segments = pointerSegments(pointer).filter((segment) => !/^[0-9]+$/.test(segment));
  return segments[segments.length - 1];
}

function propertyName(segment: string): string {
  return segment.length > 1 && segment.startsWith('_') ? segment.slice(1) : segment;
}
