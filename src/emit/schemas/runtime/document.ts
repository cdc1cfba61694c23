/**
 * The shape of the JSON Schema document fhirgen emits for one FHIR version. Besides standard draft-07
 * keywords it uses a small FHIR vocabulary, implemented by `runtime/keywords.ts`:
 * - `fhirNonEmpty`: a string that is not empty;
 * - `fhirType`: annotation naming the FHIR type a definition describes (for messages);
 * - `fhirValueSet`: annotation naming the ValueSet an enum comes from;
 * - `fhirRequired`: primitive elements that must be present, as `x` or `_x`;
 * - `fhirChoices`: choice groups, at most one variant each (exactly one when the group's min is 1);
 * - `fhirAligned`: primitive arrays whose `x` and `_x` arrays must line up;
 * - `fhirResource`: a Resource-typed element, validated against the schema its `resourceType` names.
 */

export type JsonSchema = { [keyword: string]: unknown };

export interface ChoiceRule {
  /** `value` for `value[x]`. */
  name: string;
  /** The FHIRPath-like path of the group, `Observation.value[x]`. */
  path: string;
  min: number;
  variants: string[];
}

/** What the runtime needs to know about each resource type: its base, to find the concrete subtypes. */
export interface ResourceInfo {
  base?: string;
  abstract: boolean;
}

export interface FhirgenMeta {
  fhirVersion: string;
  label: string;
  packages: string[];
  resources: Record<string, ResourceInfo>;
  /** Where OperationOutcome.issue puts the path in this version: `expression` (STU3+) or `location`. */
  issueLocation: 'expression' | 'location';
}

export interface SchemaDocument {
  $schema: string;
  $id: string;
  fhirgen: FhirgenMeta;
  definitions: Record<string, JsonSchema>;
}

/** The suffix of the definition that accepts a type's value or `null` (items of primitive arrays). */
export const NULLABLE_SUFFIX = '-or-null';

export const definitionRef = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });
