import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ChoiceRule } from './document';
import { type FhirErrors, type KeywordHelpers, keywordOf } from './keywords';
import type { ResourceTypes } from './resource-types';

/** Finds (compiling it on first use, or loading it) the validator of a concrete resource type. */
export type ValidatorLookup = (resourceType: string) => ValidateFunction;

/** The functions behind the FHIR keywords. Each returns null when the data passes. */
export function createHelpers(types: ResourceTypes, lookup: ValidatorLookup): KeywordHelpers {
  return {
    required: (data, names, path, type) => checkRequired(data, names, path, type),
    choices: (data, groups, path, type) => checkChoices(data, groups, path, type),
    aligned: (data, names, path, type) => checkAligned(data, names, path, type),
    resource: (data, allowed, path, rootData) => checkResource(data, allowed, path, rootData, types, lookup),
  };
}

function fhirError(
  method: keyof KeywordHelpers,
  instancePath: string,
  params: Record<string, unknown>,
): ErrorObject {
  const keyword = keywordOf(method);
  return { keyword, instancePath, schemaPath: `#/${keyword}`, params };
}

function push(errors: FhirErrors, error: ErrorObject): ErrorObject[] {
  if (errors === null) return [error];
  errors.push(error);
  return errors;
}

/** `_x` alone (extensions, no value) makes the element present: https://hl7.org/fhir/R4/json.html#primitive */
function checkRequired(
  data: Record<string, unknown>,
  names: string[],
  path: string,
  type: string,
): FhirErrors {
  let errors: FhirErrors = null;
  for (const name of names) {
    if (data[name] === undefined && data[`_${name}`] === undefined) {
      errors = push(errors, fhirError('required', path, { missingProperty: name, type }));
    }
  }
  return errors;
}

/** Which choice group (by index) and variant each property name, `x` or `_x`, belongs to. */
type ChoiceIndex = Map<string, { group: number; variant: string }>;

const choiceIndexes = new WeakMap<ChoiceRule[], ChoiceIndex>();

function choiceIndex(groups: ChoiceRule[]): ChoiceIndex {
  let index = choiceIndexes.get(groups);
  if (index !== undefined) return index;
  index = new Map();
  for (const [group, rule] of groups.entries()) {
    for (const variant of rule.variants) {
      index.set(variant, { group, variant });
      index.set(`_${variant}`, { group, variant });
    }
  }
  choiceIndexes.set(groups, index);
  return index;
}

/**
 * A choice element `value[x]` appears as one variant at most (https://hl7.org/fhir/R4/formats.html#choice),
 * counting a variant's `_x` as the variant. Walks the object's own keys, usually few, rather than the
 * variants, up to fifty for Extension.value[x].
 */
function checkChoices(
  data: Record<string, unknown>,
  groups: ChoiceRule[],
  path: string,
  type: string,
): FhirErrors {
  const index = choiceIndex(groups);
  let present: string[][] | undefined;
  for (const key in data) {
    const hit = index.get(key);
    if (hit === undefined) continue;
    present ??= groups.map(() => []);
    const variants = present[hit.group] as string[];
    if (!variants.includes(hit.variant)) variants.push(hit.variant);
  }
  let errors: FhirErrors = null;
  for (const [group, rule] of groups.entries()) {
    const variants = present?.[group] ?? [];
    if (variants.length > 1 || (variants.length === 0 && rule.min >= 1)) {
      errors = push(errors, fhirError('choices', path, { group: rule, present: variants, type }));
    }
  }
  return errors;
}

/**
 * `x` and `_x` arrays line up item by item, with null where one side has nothing; an item never has
 * null on both sides (https://hl7.org/fhir/R4/json.html#primitive).
 */
function checkAligned(
  data: Record<string, unknown>,
  names: string[],
  path: string,
  type: string,
): FhirErrors {
  let errors: FhirErrors = null;
  for (const name of names) {
    const values = data[name];
    const extensions = data[`_${name}`];
    if (!Array.isArray(values) && !Array.isArray(extensions)) continue;
    if (Array.isArray(values) && Array.isArray(extensions) && values.length !== extensions.length) {
      errors = push(errors, fhirError('aligned', path, { property: name, reason: 'length', type }));
      continue;
    }
    const length = Array.isArray(values) ? values.length : (extensions as unknown[]).length;
    for (let i = 0; i < length; i += 1) {
      const value = Array.isArray(values) ? values[i] : null;
      const extension = Array.isArray(extensions) ? extensions[i] : null;
      if (value === null && extension === null) {
        errors = push(
          errors,
          fhirError('aligned', path, { property: name, index: i, reason: 'empty', type }),
        );
      }
    }
  }
  return errors;
}

function checkResource(
  data: unknown,
  allowed: string,
  path: string,
  rootData: unknown,
  types: ResourceTypes,
  lookup: ValidatorLookup,
): FhirErrors {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return [fhirError('resource', path, { reason: 'not-object', allowed })];
  }
  const resourceType = (data as { resourceType?: unknown }).resourceType;
  if (resourceType === undefined) return [fhirError('resource', path, { reason: 'missing', allowed })];
  if (typeof resourceType !== 'string' || !types.isConcrete(resourceType)) {
    return [fhirError('resource', path, { reason: 'unknown', resourceType, allowed })];
  }
  if (!types.isKindOf(resourceType, allowed)) {
    return [fhirError('resource', path, { reason: 'not-allowed', resourceType, allowed })];
  }
  const validate = lookup(resourceType);
  if (
    validate(data, {
      instancePath: path,
      parentData: {},
      parentDataProperty: '',
      rootData: rootData as Record<string, unknown>,
      dynamicAnchors: {},
    })
  )
    return null;
  return validate.errors ?? null;
}
