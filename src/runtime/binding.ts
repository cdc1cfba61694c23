/**
 * What one FHIR version's generated code gives the runtime. Everything that differs between DSTU2,
 * STU3 and R4 (mime type, the capability resource's name, resource types, search parameters) is data
 * here, so the request handlers never test the version.
 */
import type { SearchParamType } from './contracts';

/** A resource as JSON. Class instances are accepted wherever a service returns one. */
export interface ResourceJson {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** One issue of an OperationOutcome (https://hl7.org/fhir/R4/operationoutcome.html). */
export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  diagnostics?: string;
  /** Element paths (FHIRPath in R4, `expression`; DSTU2/STU3 readers use `location`). */
  expression?: string[];
  location?: string[];
}

/** The result of casting JSON to the version's resource class. */
export interface CastResult {
  /** The resource in its version's form: a class instance or JSON; serialised with `JSON.stringify`. */
  resource: unknown;
  /** Element paths the cast did not recognise and left out. */
  dropped: string[];
}

/** One search parameter a resource type supports, from the version's SearchParameter definitions. */
export interface SearchParamDef {
  name: string;
  type: SearchParamType;
  /** FHIRPath expression (derived from xpath on DSTU2), for the store's indexer. */
  expression?: string;
  /** Target resource types of a reference parameter. */
  target?: string[];
  /** The SearchParameter's canonical URL, listed in the capability statement. */
  definition?: string;
  documentation?: string;
}

/** A parameter of the Patient compartment, e.g. Observation `performer` reading `performer`. */
export interface CompartmentParamDef {
  name: string;
  /** Dotted element paths relative to the resource: `subject`, `participant.individual`. */
  paths: string[];
}

/** How this version's capability resource is written (its shape changed between versions). */
export interface CapabilityShape {
  /** The restful interaction codes the version defines: DSTU2 has no `patch` and no `batch`. */
  interactionCodes: readonly string[];
  /** An operation's `definition`: a canonical string (R4) or a Reference (STU3, DSTU2). */
  operationDefinition: 'canonical' | 'reference';
  /**
   * Whether operations can be listed per resource (`rest.resource.operation`, R4). Before R4 they can
   * only be listed at `rest.operation`, which is where they go when this is absent or false.
   */
  resourceOperations?: boolean;
  /** Elements the version requires beyond the common ones, e.g. `acceptUnknown` before R4. */
  required: Readonly<Record<string, unknown>>;
}

export interface VersionBinding {
  /** `r4`, `stu3`, `dstu2`: the key used in config and in the ServiceContext. */
  id: string;
  /** `R4`, `STU3`, `DSTU2`. */
  label: string;
  /** `4.0.1`, `3.0.1`, `1.0.2`. */
  fhirVersion: string;
  /** `application/fhir+json` (STU3, R4); `application/json+fhir` on DSTU2 (https://hl7.org/fhir/DSTU2/http.html#mime-type). */
  mimeType: string;
  /** `CapabilityStatement`, or `Conformance` on DSTU2. */
  capabilityType: string;
  capability: CapabilityShape;
  /** Every concrete resource type of the version. */
  resourceTypes: readonly string[];
  /** Search parameters per resource type (the common `_id`, `_lastUpdated` ... included where defined). */
  searchParams: Readonly<Record<string, readonly SearchParamDef[]>>;
  /**
   * The Patient compartment (generated from the version's CompartmentDefinition): per resource type
   * in it, the parameters that place a resource there and the element paths they read. A type not
   * listed, or a binding without this, has nothing in a patient's compartment but the Patient itself.
   */
  patientCompartment?: Readonly<Record<string, readonly CompartmentParamDef[]>>;
  /** Casts JSON to the version's class; throws when the JSON is not a resource of a known type. */
  cast(json: unknown): CastResult;
  /** Validates JSON against the version's schema; an empty list means valid. */
  validate(json: unknown): OutcomeIssue[];
  /**
   * The constraints (invariants) a structurally valid resource breaks, as `invariant` issues with the
   * constraint's severity, errors first. Absent when the generated code has no invariant data.
   */
  invariants?(resource: ResourceJson): OutcomeIssue[];
}
