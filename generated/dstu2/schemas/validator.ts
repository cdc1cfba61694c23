import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import type { SchemaDocument } from './document';
import { createHelpers } from './helpers';
import { addFhirKeywords, type KeywordHelpers } from './keywords';
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
 * The validators of one FHIR version, compiled by ajv from fhirgen's schema document. Each resource
 * type's validator is compiled once, at its first use (or all at once with `compileAll`); the data types
 * and backbone elements it references are compiled with it and shared by later types.
 */
export class FhirValidator {
  readonly fhirVersion: string;
  readonly label: string;
  readonly resourceTypes: readonly string[];
  private readonly types: ResourceTypes;
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly rootType: string;
  private readonly helpers: KeywordHelpers;

  constructor(
    private readonly document: SchemaDocument,
    options: Options = {},
  ) {
    this.fhirVersion = document.fhirgen.fhirVersion;
    this.label = document.fhirgen.label;
    this.types = new ResourceTypes(document.fhirgen.resources);
    this.resourceTypes = this.types.concrete;
    this.rootType = this.types.root;
    this.ajv = new Ajv({
      // Every problem of a resource is reported at once, with the data and schema behind it.
      allErrors: true,
      verbose: true,
      messages: false,
      strictTypes: false,
      ...options,
    });
    this.helpers = createHelpers(this.types, (type) => this.validatorFor(type));
    addFhirKeywords(this.ajv, this.helpers);
    this.ajv.addSchema(document as unknown as Record<string, unknown>);
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
    return toOperationOutcome(result.issues, this.document.fhirgen.issueLocation);
  }

  /** Compiles every resource type's validator now rather than at first use. */
  compileAll(): number {
    for (const type of this.resourceTypes) this.validatorFor(type);
    return this.compiled.size;
  }

  validatorFor(type: string): ValidateFunction {
    const known = this.compiled.get(type);
    if (known !== undefined) return known;
    if (!this.types.isConcrete(type)) throw new UnknownResourceTypeError(type, this.label);
    const validate = this.ajv.getSchema(`${this.document.$id}#/definitions/${type}`);
    if (validate === undefined) throw new UnknownResourceTypeError(type, this.label);
    this.compiled.set(type, validate);
    return validate;
  }

  private result(errors: readonly ErrorObject[] | null, root: string): ValidationResult {
    if (errors === null || errors.length === 0) return { valid: true, issues: [] };
    return { valid: false, issues: toIssues(errors, root, this.label) };
  }
}
