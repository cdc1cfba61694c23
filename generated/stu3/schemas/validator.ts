import type { ErrorObject, ValidateFunction } from 'ajv';
import type { FhirgenMeta } from './document';
import { createHelpers } from './helpers';
import type { KeywordHelpers } from './keywords';
import { type Issue, type OperationOutcome, toIssues, toOperationOutcome } from './outcome';
import { ResourceTypes } from './resource-types';

export interface ValidationResult {
  valid: boolean;
  issues: Issue[];
}

export class UnknownResourceTypeError extends Error {
  constructor(
    readonly resourceType: string,
    label: string,
  ) {
    super(`FHIR ${label} has no concrete resource type '${resourceType}'`);
    this.name = 'UnknownResourceTypeError';
  }
}

/**
 * Where validate functions come from: given the helpers behind the FHIR keywords, a lookup of the
 * validator of each concrete resource type, called once per type. `compile.ts` compiles them with ajv at
 * run time; `standalone.ts` loads the modules generated ahead of time.
 */
export type ValidatorLoader = (helpers: KeywordHelpers) => (type: string) => ValidateFunction | undefined;

/**
 * The validators of one FHIR version. Each resource type's validator is made ready once, at its first use
 * (or all at once with `loadAll`), and FHIR issues are built from its errors.
 */
export class FhirValidator {
  readonly fhirVersion: string;
  readonly label: string;
  readonly resourceTypes: readonly string[];
  private readonly types: ResourceTypes;
  private readonly ready = new Map<string, ValidateFunction>();
  private readonly rootType: string;
  private readonly helpers: KeywordHelpers;
  private readonly load: (type: string) => ValidateFunction | undefined;

  constructor(
    private readonly meta: FhirgenMeta,
    loader: ValidatorLoader,
  ) {
    this.fhirVersion = meta.fhirVersion;
    this.label = meta.label;
    this.types = new ResourceTypes(meta.resources);
    this.resourceTypes = this.types.concrete;
    this.rootType = this.types.root;
    this.helpers = createHelpers(this.types, (type) => this.validatorFor(type));
    this.load = loader(this.helpers);
  }

  /** Validates any resource, against the schema of the resourceType it names. */
  validate(json: unknown): ValidationResult {
    const named = (json as { resourceType?: unknown } | null)?.resourceType;
    const root = typeof named === 'string' && this.types.isConcrete(named) ? named : this.rootType;
    if (root === this.rootType) {
      const errors = this.helpers.resource(json, this.rootType, '', json);
      return this.result(errors, root);
    }
    return this.validateAs(root, json);
  }

  /** Validates `json` as a `type` (a concrete resource type); its resourceType must say the same. */
  validateAs(type: string, json: unknown): ValidationResult {
    const validate = this.validatorFor(type);
    try {
      return validate(json) ? { valid: true, issues: [] } : this.result(validate.errors ?? [], type);
    } catch (error) {
      // Validators recurse with the data: a hostile nesting depth must not take the caller down.
      if (!(error instanceof RangeError)) throw error;
      const diagnostics = 'The resource is nested too deeply to be validated';
      return { valid: false, issues: [{ code: 'too-costly', path: type, diagnostics }] };
    }
  }

  /** True when `json` is a valid resource; the fast path, without building issues. */
  isValid(json: unknown): boolean {
    const type = (json as { resourceType?: unknown } | null)?.resourceType;
    return typeof type === 'string' && this.types.isConcrete(type) && this.validateAs(type, json).valid;
  }

  /** The OperationOutcome of a result, with paths where this version's OperationOutcome puts them. */
  outcome(result: ValidationResult): OperationOutcome {
    return toOperationOutcome(result.issues, this.meta.issueLocation);
  }

  /** Where this version's OperationOutcome puts an issue's FHIRPath: `expression` (STU3, R4) or `location` (DSTU2). */
  get issueLocation(): 'expression' | 'location' {
    return this.meta.issueLocation;
  }

  /** Makes every resource type's validator ready now rather than at first use; returns how many. */
  loadAll(): number {
    for (const type of this.resourceTypes) this.validatorFor(type);
    return this.ready.size;
  }

  validatorFor(type: string): ValidateFunction {
    const known = this.ready.get(type);
    if (known !== undefined) return known;
    if (!this.types.isConcrete(type)) throw new UnknownResourceTypeError(type, this.label);
    const validate = this.load(type);
    if (validate === undefined) throw new UnknownResourceTypeError(type, this.label);
    this.ready.set(type, validate);
    return validate;
  }

  private result(errors: readonly ErrorObject[] | null, root: string): ValidationResult {
    if (errors === null || errors.length === 0) return { valid: true, issues: [] };
    return { valid: false, issues: toIssues(errors, root, this.label) };
  }
}
