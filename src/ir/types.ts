/**
 * The intermediate representation (IR): one typed model per FHIR version, built from
 * StructureDefinition snapshots. Every emitter reads this and nothing else; differences between FHIR
 * versions are data here, never `if (version === ...)` in an emitter.
 */

export type FhirVersionId = 'dstu2' | 'stu3' | 'r4';

/** A canonical URL such as `http://hl7.org/fhir/StructureDefinition/Patient` (without `|version`). */
export type CanonicalUrl = string & { readonly __brand: 'CanonicalUrl' };
/** An element path as a StructureDefinition writes it, such as `Patient.contact.gender` or `Observation.value[x]`. */
export type ElementPath = string & { readonly __brand: 'ElementPath' };

export const asCanonical = (url: string): CanonicalUrl => url as CanonicalUrl;
export const asPath = (path: string): ElementPath => path as ElementPath;

export interface VersionInfo {
  id: FhirVersionId;
  /** `4.0.1`, `3.0.1`, `1.0.2`. */
  fhirVersion: string;
  /** `R4`, `STU3`, `DSTU2`. */
  label: string;
  /** The packages the model was built from, as `name@version`. */
  packages: string[];
}

/** One FHIR version: every primitive, complex data type and resource of its core package. */
export interface FhirModel {
  version: VersionInfo;
  /** What the version's JSON format allows besides the elements of its types. */
  json: JsonFormat;
  primitives: PrimitiveType[];
  complexTypes: ComplexType[];
  /** Every resource, including the abstract `Resource` and `DomainResource`. */
  resources: ResourceType[];
  /** Which resources belong to a patient's compartment, and through which search parameters. */
  patientCompartment: PatientCompartment;
  /** The ValueSets bound to elements that the packages alone can list, for `:in` token searches. */
  valueSets: BoundValueSet[];
  /** The code systems of the packages whose concepts nest, for `:above`/`:below` token searches. */
  codeHierarchies: CodeHierarchy[];
  /**
   * Every constraint (invariant) of every element of every type's snapshot, sorted by owner, path and
   * key; the ones that cannot be checked say why (`unchecked`).
   */
  constraints: Constraint[];
}

/**
 * Why a constraint is not evaluated. `no-stu3-counterpart`, `stu3-meaning-differs`: a DSTU2 constraint
 * (XPath only) for which STU3 has no FHIRPath expression of the same key on the same path, or one whose
 * XPath says something else. `known-wrong`: the published expression rejects valid resources.
 */
export type UncheckedReason = 'no-stu3-counterpart' | 'stu3-meaning-differs' | 'known-wrong';

/**
 * Where the FHIRPath expression that runs comes from: the definition itself, STU3's definition of the
 * same key on the same path (DSTU2), or a fix of a published expression known to be wrong.
 */
export type ExpressionSource = 'definition' | 'stu3' | 'fixed';

/** One `ElementDefinition.constraint` (https://hl7.org/fhir/R4/elementdefinition.html#invs). */
export interface Constraint {
  /** `obs-6`, `ele-1`. */
  key: string;
  severity: 'error' | 'warning';
  /** The constraint's text for people, reported as `<key>: <human>`. */
  human: string;
  /** The FHIRPath expression that is evaluated; absent when `unchecked`. */
  expression?: string;
  /** Set with `expression`. */
  expressionSource?: ExpressionSource;
  /** The expression as published, when it differs from `expression` or is absent (DSTU2). */
  publishedExpression?: string;
  xpath?: string;
  /** The element it sits on, as the snapshot writes it: `Observation.component`, `Period`. */
  path: ElementPath;
  /** The resource, data type or primitive whose snapshot carries it. */
  owner: string;
  unchecked?: UncheckedReason;
}

/** Facts of a version's JSON format that its StructureDefinitions do not state. */
export interface JsonFormat {
  /**
   * The property in which any JSON object of the version (resource, data type, backbone element, a
   * primitive's `_name` object) may carry comments, as an array of strings: DSTU2's `fhir_comments`.
   * Absent when the version has none.
   */
  commentsProperty?: string;
}

/** A code system's hierarchy: for each code that has a parent, its ancestors, nearest first. */
export interface CodeHierarchy {
  system: CanonicalUrl;
  ancestors: Record<string, string[]>;
}

/** A ValueSet and its members (code system and code), expanded from the packages. */
export interface BoundValueSet {
  url: CanonicalUrl;
  members: { system: string; code: string }[];
}

/**
 * The Patient compartment (https://hl7.org/fhir/R4/compartmentdefinition-patient.html): a resource
 * is in a patient's compartment when one of the search parameters listed for its type references
 * that patient; the Patient resource is always in its own compartment, by id.
 */
export interface PatientCompartment {
  /**
   * `definition`: the core package's `CompartmentDefinition/patient` (STU3, R4). `reference-parameters`:
   * the version defines no CompartmentDefinition resource and its package carries the compartment
   * only as prose (DSTU2, https://hl7.org/fhir/DSTU2/compartments.html), so membership comes from the
   * reference search parameters that may point at a Patient.
   */
  source: 'definition' | 'reference-parameters';
  /** The CompartmentDefinition read, when `source` is `definition`. */
  url?: CanonicalUrl;
  /** The resource types in the compartment, sorted by type. Types not listed are outside it. */
  members: CompartmentMember[];
}

export interface CompartmentMember {
  resourceType: string;
  /**
   * Search parameter codes as the definition lists them (`subject`, `performer`; chained ones such as
   * STU3's `agent.patient` included), without `{def}`, which stands for the Patient itself.
   */
  params: string[];
}

export type JsonType = 'string' | 'number' | 'integer' | 'boolean';

export interface PrimitiveType {
  kind: 'primitive';
  name: string;
  url: CanonicalUrl;
  /** The primitive it specialises (`code` -> `string`), when there is one. */
  base?: string;
  /** The JSON type of its value in this version (`decimal` is a number, `integer64` a string). */
  jsonType: JsonType;
  /** The FHIR regex for the value, unanchored as the specification writes it; absent when none is given. */
  regex?: string;
  /** Inclusive bounds, for integer types (`positiveInt` >= 1, `unsignedInt` >= 0). */
  minValue?: number;
  maxValue?: number;
  description: string;
}

/** Members shared by resources, complex data types and backbone elements. */
interface StructureMembers {
  /** The type's own name: `Patient`, `HumanName`, or a backbone's class name such as `PatientContact`. */
  name: string;
  description: string;
  /** All elements of the type in StructureDefinition order (inherited ones included), choices expanded. */
  elements: Element[];
  /** Choice groups (`value[x]`) of the type: at most one variant may be present. */
  choices: ChoiceGroup[];
}

export interface ComplexType extends StructureMembers {
  kind: 'complex-type';
  url: CanonicalUrl;
  abstract: boolean;
  /** The type it specialises (`Element`, `BackboneElement`, `Quantity` for `Age` ...). */
  base?: string;
  /** Set when the type is a constraint on another type rather than a specialization (STU3 `Age` on `Quantity`). */
  constraintOn?: string;
  backbones: BackboneType[];
}

export interface ResourceType extends StructureMembers {
  kind: 'resource';
  url: CanonicalUrl;
  abstract: boolean;
  /** `DomainResource`, `Resource`, or none for `Resource` itself. */
  base?: string;
  backbones: BackboneType[];
  /** Search parameters that apply to this resource, the common ones (`_id`, `_lastUpdated` ...) included. */
  searchParameters: SearchParameter[];
}

/** A backbone element with a class name of its own, e.g. `PatientContact` for `Patient.contact`. */
export interface BackboneType extends StructureMembers {
  kind: 'backbone';
  /** The element path that defines it, `Patient.contact`. */
  path: ElementPath;
  /** The resource or data type it belongs to. */
  owner: string;
}

export type TypeDefinition = PrimitiveType | ComplexType | ResourceType | BackboneType;

/**
 * What an element's value is. After choice expansion each element has exactly one.
 * `targetProfiles` name what a Reference (or an R4 `canonical`) may point to: STU3/R4 `targetProfile`,
 * DSTU2 `profile` on a Reference. A `Quantity` profiled as a constraint type of the model (STU3/R4
 * `SimpleQuantity`) is that type, as DSTU2 writes it directly; `profiles` keeps the profile URLs.
 */
export type TypeRef =
  | { kind: 'primitive'; name: string; targetProfiles?: CanonicalUrl[] }
  | { kind: 'complex'; name: string; profiles?: CanonicalUrl[]; targetProfiles?: CanonicalUrl[] }
  | { kind: 'backbone'; name: string }
  /** A resource: `Resource` means any resource, dispatched by `resourceType`. */
  | { kind: 'resource'; name: string };

export interface Element {
  /** JSON property name: `gender`, or the variant name `valueQuantity` for a choice. */
  name: string;
  /** The path as the StructureDefinition writes it (`Observation.value[x]` for every variant). */
  path: ElementPath;
  /** 0 on choice variants: whether one variant must be present is the ChoiceGroup's `min`. */
  min: number;
  max: number | '*';
  /** Whether the JSON form is an array (from the base definition's max, as FHIR's JSON rules say). */
  isArray: boolean;
  type: TypeRef;
  /** Set on choice variants: the group they belong to. */
  choice?: { group: string; path: ElementPath };
  /**
   * For elements that reuse another element's structure (`Questionnaire.item.item`): the path of that
   * element (STU3/R4 `contentReference`, DSTU2 `nameReference`); `type` is then its backbone class.
   */
  contentReference?: ElementPath;
  binding?: Binding;
  fixed?: unknown;
  pattern?: unknown;
  isModifier: boolean;
  isSummary: boolean;
  short: string;
}

export interface ChoiceGroup {
  /** `value` for `value[x]`. */
  name: string;
  path: ElementPath;
  min: number;
  /** The JSON property names of the variants, in definition order: `valueQuantity`, `valueString` ... */
  variants: string[];
}

export type BindingStrength = 'required' | 'extensible' | 'preferred' | 'example';

export interface Binding {
  strength: BindingStrength;
  /** The bound ValueSet, whatever the version calls it (`valueSetReference`, `valueSetUri`, `valueSet`). */
  valueSet?: CanonicalUrl;
  description?: string;
  /** For required bindings: the codes of the expanded ValueSet, when it can be expanded from the package. */
  codes?: string[];
  /** For required bindings whose codes cannot be listed (external code system): why. */
  unresolved?: string;
}

export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'quantity'
  | 'uri'
  | 'composite'
  | 'special';

export interface SearchParameter {
  /** The name used in URLs: `gender`, `_id`. */
  code: string;
  url: CanonicalUrl;
  type: SearchParamType;
  description: string;
  /** The FHIRPath expression restricted to this resource (STU3, R4); absent in DSTU2. */
  expression?: string;
  /** The XPath (DSTU2 and STU3), restricted to this resource. */
  xpath?: string;
  /** Resource types a reference parameter may point to. */
  targets: string[];
  /** Modifiers the definition lists (R4); empty when the version does not say. */
  modifiers: string[];
  /** Prefixes the definition lists (R4); empty when the version does not say. */
  comparators: string[];
  /** For composite parameters: the component parameters and their expressions. */
  components: { definition: CanonicalUrl; expression: string }[];
  /** True for parameters that apply to every resource (from `Resource` or `DomainResource`). */
  common: boolean;
}
