/**
 * The shapes of the FHIR definitional resources the IR reads, as they appear in DSTU2, STU3 and R4
 * JSON. Only the fields the IR uses are listed; each version's spelling is kept (`valueSetReference`
 * in DSTU2/STU3, `valueSet` in R4 ...) so that the passes can normalise them in one place.
 */

export interface RawExtension {
  url: string;
  valueString?: string;
  valueUrl?: string;
  valueUri?: string;
  valueCode?: string;
  valueBoolean?: boolean;
}

export interface RawTypeRef {
  code?: string;
  /** DSTU2 `string[]`, STU3 `string`, R4 `string[]`. In DSTU2 it names the target of a Reference. */
  profile?: string | string[];
  /** STU3 `string`, R4 `string[]`; absent in DSTU2. */
  targetProfile?: string | string[];
  extension?: RawExtension[];
  _code?: { extension?: RawExtension[] };
}

export interface RawBinding {
  strength?: string;
  description?: string;
  /** R4. */
  valueSet?: string;
  /** DSTU2, STU3. */
  valueSetReference?: { reference?: string };
  /** DSTU2, STU3. */
  valueSetUri?: string;
}

export interface RawElementDefinition {
  id?: string;
  path: string;
  /** DSTU2: the name that `nameReference` points at. */
  name?: string;
  short?: string;
  min?: number;
  max?: string;
  base?: { path: string; min?: number; max?: string };
  type?: RawTypeRef[];
  /** STU3 and R4: `#Questionnaire.item`. */
  contentReference?: string;
  /** DSTU2: the `name` of another element of the same definition. */
  nameReference?: string;
  binding?: RawBinding;
  isModifier?: boolean;
  isSummary?: boolean;
  minValueInteger?: number;
  maxValueInteger?: number;
  constraint?: RawConstraint[];
  [key: string]: unknown;
}

/** `ElementDefinition.constraint`: DSTU2 has `xpath` only, STU3 and R4 add `expression`. */
export interface RawConstraint {
  key?: string;
  severity?: string;
  human?: string;
  expression?: string;
  xpath?: string;
}

export interface RawStructureDefinition {
  resourceType: 'StructureDefinition';
  id?: string;
  url: string;
  name: string;
  /** DSTU2: `datatype`, `resource`, `logical`; STU3/R4: `primitive-type`, `complex-type`, `resource`, `logical`. */
  kind: string;
  abstract?: boolean;
  /** STU3, R4. */
  type?: string;
  /** STU3, R4: `specialization` or `constraint`. */
  derivation?: string;
  /** STU3, R4. */
  baseDefinition?: string;
  /** DSTU2: the base definition. */
  base?: string;
  /** DSTU2: set on constraints (profiles), naming the type constrained. */
  constrainedType?: string;
  description?: string;
  snapshot?: { element: RawElementDefinition[] };
}

export interface RawConcept {
  code?: string;
  abstract?: boolean;
  concept?: RawConcept[];
  property?: { code: string; valueCode?: string; valueBoolean?: boolean }[];
}

export interface RawFilter {
  property?: string;
  op?: string;
  value?: string;
}

export interface RawInclude {
  system?: string;
  version?: string;
  concept?: { code: string }[];
  filter?: RawFilter[];
  /** STU3, R4: ValueSets whose codes this include intersects with (imports when no system). */
  valueSet?: string | string[];
}

export interface RawValueSet {
  resourceType: 'ValueSet';
  url: string;
  /** DSTU2: the code system the ValueSet defines inline. */
  codeSystem?: { system: string; concept?: RawConcept[] };
  compose?: {
    /** DSTU2: ValueSets whose codes are all included. */
    import?: string[];
    include?: RawInclude[];
    exclude?: RawInclude[];
  };
  expansion?: { contains?: RawContains[] };
}

export interface RawContains {
  system?: string;
  code?: string;
  abstract?: boolean;
  contains?: RawContains[];
}

export interface RawCodeSystem {
  resourceType: 'CodeSystem';
  url: string;
  content?: string;
  concept?: RawConcept[];
}

export interface RawSearchParameter {
  resourceType: 'SearchParameter';
  url: string;
  id?: string;
  name?: string;
  code: string;
  /** DSTU2 `string`; STU3 and R4 `string[]`. */
  base: string | string[];
  type: string;
  description?: string;
  expression?: string;
  xpath?: string;
  target?: string[];
  modifier?: string[];
  comparator?: string[];
  /** STU3 `definition: { reference }`, R4 `definition: canonical`. */
  component?: { definition?: string | { reference?: string }; expression?: string }[];
}

/** A CompartmentDefinition (STU3, R4; DSTU2 has none): which search parameters put each resource type in it. */
export interface RawCompartmentDefinition {
  resourceType: 'CompartmentDefinition';
  url: string;
  /** The compartment's type: `Patient`, `Encounter` ... */
  code?: string;
  resource?: { code: string; param?: string[] }[];
}

/** Reads an extension's value by URL. */
export function extensionValue(extensions: RawExtension[] | undefined, url: string): string | undefined {
  const found = extensions?.find((extension) => extension.url === url);
  return found?.valueString ?? found?.valueUrl ?? found?.valueUri ?? found?.valueCode;
}

/** `http://x/ValueSet/y|4.0.1` -> `http://x/ValueSet/y`: the IR keys canonicals without their version. */
export function stripVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar === -1 ? url : url.slice(0, bar);
}

/** Normalises a `string | string[]` field to an array. */
export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
