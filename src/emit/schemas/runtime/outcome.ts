import type { ErrorObject } from 'ajv';
import { type ChoiceRule, NULLABLE_SUFFIX } from './document';
import { keywordOf } from './keywords';
import { fhirPath, lastProperty } from './paths';

/** FHIR issue types used here (https://hl7.org/fhir/R4/valueset-issue-type.html); all exist since DSTU2. */
export const ISSUE_CODES = [
  'structure',
  'required',
  'value',
  'code-invalid',
  'invariant',
  'not-supported',
  'not-found',
  'too-costly',
  'informational',
] as const;

export type IssueCode = (typeof ISSUE_CODES)[number];

export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: IssueCode;
  diagnostics: string;
  /** FHIRPath of the offending element (STU3 and later). */
  expression?: string[];
  /** The same path, in the field DSTU2 has for it. */
  location?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

/** An issue before it is placed in a version's OperationOutcome: `path` goes to expression or location. */
export interface Issue {
  code: IssueCode;
  diagnostics: string;
  path: string;
}

/** Translates ajv errors into FHIR issues with readable messages; duplicates are dropped. */
export function toIssues(errors: readonly ErrorObject[], root: string, label: string): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  // An empty string also fails its type's regex; the emptiness says it better, once.
  const empty = new Set(
    errors.filter((error) => error.keyword === 'fhirNonEmpty').map((e) => e.instancePath),
  );
  for (const error of errors) {
    if (error.keyword === 'pattern' && empty.has(error.instancePath)) continue;
    const issue = toIssue(error, root, label);
    const key = `${issue.code}|${issue.path}|${issue.diagnostics}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

export function toOperationOutcome(
  issues: readonly Issue[],
  field: 'expression' | 'location',
): OperationOutcome {
  if (issues.length === 0) {
    return {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: 'The resource is valid' }],
    };
  }
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((issue) => ({
      severity: 'error',
      code: issue.code,
      diagnostics: issue.diagnostics,
      [field]: [issue.path],
    })),
  };
}

function toIssue(error: ErrorObject, root: string, label: string): Issue {
  const at = (child?: string) => fhirPath(root, error.instancePath, child);
  const params = error.params as Record<string, unknown>;
  const type = fhirTypeOf(error);
  switch (error.keyword) {
    case 'required':
    case keywordOf('required'): {
      const name = String(params.missingProperty);
      const owner = typeof params.type === 'string' ? params.type : type;
      return { code: 'required', path: at(name), diagnostics: `${owner}.${name} is required but missing` };
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      return {
        code: 'structure',
        path: at(name),
        diagnostics: `Unknown property '${name}': ${type} has no element of that name in FHIR ${label}`,
      };
    }
    case 'type':
      return { code: 'structure', path: at(), diagnostics: wrongType(error, type) };
    case 'const':
      return {
        code: 'structure',
        path: at(),
        diagnostics: `resourceType is ${show(error.data)} where ${show(error.schema)} is expected`,
      };
    case 'pattern':
      return { code: 'value', path: at(), diagnostics: `${show(error.data)} is not a valid ${type}` };
    case 'fhirNonEmpty':
      return { code: 'value', path: at(), diagnostics: `Empty string: a FHIR ${type} value cannot be empty` };
    case 'minimum':
    case 'maximum':
      return {
        code: 'value',
        path: at(),
        diagnostics: `${show(error.data)} is out of range for ${type} (${error.keyword} ${show(error.schema)})`,
      };
    case 'enum':
      return { code: 'code-invalid', path: at(), diagnostics: notInValueSet(error, type) };
    case 'minItems':
      return { code: 'structure', path: at(), diagnostics: 'Empty array: FHIR arrays are never empty' };
    case 'maxItems':
      return {
        code: 'structure',
        path: at(),
        diagnostics: `Too many items: at most ${show(error.schema)} allowed`,
      };
    case 'minProperties':
      return {
        code: 'invariant',
        path: at(),
        diagnostics: `Empty object: a ${type} must have a value or children (ele-1)`,
      };
    case keywordOf('choices'):
      return choiceIssue(params, at);
    case keywordOf('aligned'):
      return alignmentIssue(params, at);
    case keywordOf('resource'):
      return resourceIssue(params, at(), label);
    default:
      return {
        code: 'structure',
        path: at(),
        diagnostics: `Invalid content (${error.keyword} check failed)`,
      };
  }
}

function fhirTypeOf(error: ErrorObject): string {
  const schema = error.parentSchema as { fhirType?: unknown } | undefined;
  const type = typeof schema?.fhirType === 'string' ? schema.fhirType : 'value';
  return type.endsWith(NULLABLE_SUFFIX) ? type.slice(0, -NULLABLE_SUFFIX.length) : type;
}

function wrongType(error: ErrorObject, type: string): string {
  const expected = String((error.params as { type?: unknown }).type).split(',')[0];
  const found = describe(error.data);
  const property = lastProperty(error.instancePath) ?? '';
  if (property.startsWith('_') && expected === 'object') {
    return `'${property}' must be an object with id and/or extension (a primitive's extensions), found ${found}`;
  }
  if (expected === 'array') return `Expected an array here, found ${found}`;
  if (expected === 'object') return `Expected a single ${type} object, found ${found}`;
  return type === expected
    ? `Expected a ${type}, found ${found}`
    : `Expected a ${type} (a JSON ${expected}), found ${found}`;
}

function notInValueSet(error: ErrorObject, type: string): string {
  const schema = error.parentSchema as { fhirValueSet?: unknown } | undefined;
  const codes = (Array.isArray(error.schema) ? error.schema : []).filter((code) => code !== null).map(String);
  const listed = codes.length > 12 ? `${codes.slice(0, 12).join(', ')}, ...` : codes.join(', ');
  const valueSet = typeof schema?.fhirValueSet === 'string' ? ` ${schema.fhirValueSet}` : '';
  return `${show(error.data)} is not a ${type} of the required value set${valueSet} (${listed})`;
}

function choiceIssue(params: Record<string, unknown>, at: (child?: string) => string): Issue {
  const group = params.group as ChoiceRule;
  const present = params.present as string[];
  if (present.length === 0) {
    return {
      code: 'required',
      path: at(group.name),
      diagnostics: `${group.path} is required: one of ${group.variants.join(', ')} must be present`,
    };
  }
  return {
    code: 'structure',
    path: at(group.name),
    diagnostics: `${group.path} is a choice: only one of ${present.join(', ')} may be present`,
  };
}

function alignmentIssue(params: Record<string, unknown>, at: (child?: string) => string): Issue {
  const name = String(params.property);
  if (params.reason === 'length') {
    return {
      code: 'structure',
      path: at(name),
      diagnostics: `'${name}' and '_${name}' must have the same number of items`,
    };
  }
  return {
    code: 'structure',
    path: `${at(name)}[${String(params.index)}]`,
    diagnostics: `Item ${String(params.index)} of '${name}' has neither a value nor extensions (null in both '${name}' and '_${name}')`,
  };
}

function resourceIssue(params: Record<string, unknown>, path: string, label: string): Issue {
  const allowed = String(params.allowed);
  switch (params.reason) {
    case 'not-object':
      return {
        code: 'structure',
        path,
        diagnostics: `Expected a resource (a JSON object with a resourceType)`,
      };
    case 'missing':
      return {
        code: 'required',
        path,
        diagnostics: 'resourceType is missing: every resource must name its type',
      };
    case 'unknown':
      return {
        code: 'not-supported',
        path,
        diagnostics: `Unknown resourceType ${show(params.resourceType)}: FHIR ${label} has no such resource`,
      };
    default:
      return {
        code: 'structure',
        path,
        diagnostics: `A ${String(params.resourceType)} is not allowed here: a ${allowed} is expected`,
      };
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${show(value)}`;
}
