import type { RawTypeRef } from './raw';
import { extensionValue } from './raw';

const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const SYSTEM_PREFIX = 'http://hl7.org/fhirpath/System.';

/**
 * FHIRPath system types that R4 uses as type codes, and the FHIR primitive each one stands for when
 * no `structuredefinition-fhir-type` extension says (https://hl7.org/fhir/R4/fhirpath.html#types).
 */
const SYSTEM_TYPES: Readonly<Record<string, string>> = {
  String: 'string',
  Boolean: 'boolean',
  Integer: 'integer',
  Decimal: 'decimal',
  Date: 'date',
  DateTime: 'dateTime',
  Time: 'time',
};

/**
 * A type code as a FHIR type name. R4 writes the types of `Element.id`, `Extension.url` and primitive
 * values as FHIRPath system types (`http://hl7.org/fhirpath/System.String`) with the FHIR type in the
 * `structuredefinition-fhir-type` extension; R4 core also uses that extension on some ordinary codes.
 * DSTU2/STU3 primitive `value` elements have no code at all: undefined.
 */
export function normaliseTypeCode(type: RawTypeRef): string | undefined {
  const code = type.code;
  if (code === undefined) return undefined;
  if (!code.startsWith(SYSTEM_PREFIX)) return code;
  return (
    extensionValue(type.extension, FHIR_TYPE_EXTENSION) ?? SYSTEM_TYPES[code.slice(SYSTEM_PREFIX.length)]
  );
}

/** The FHIRPath system type name (`String`) of an R4 primitive value code, if it is one. */
export function systemTypeOf(type: RawTypeRef): string | undefined {
  return type.code?.startsWith(SYSTEM_PREFIX) ? type.code.slice(SYSTEM_PREFIX.length) : undefined;
}
