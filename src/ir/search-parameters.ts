import { compare } from './backbone-names';
import type { RawSearchParameter } from './raw';
import { asArray, stripVersion } from './raw';
import type { CanonicalUrl, SearchParameter, SearchParamType } from './types';
import { asCanonical } from './types';

const TYPES: readonly SearchParamType[] = [
  'number',
  'date',
  'string',
  'token',
  'reference',
  'quantity',
  'uri',
  'composite',
  'special',
];

/** A resource type and the chain of resource types it derives from (`Patient`, `DomainResource`, `Resource`). */
export interface ResourceLineage {
  name: string;
  abstract: boolean;
  /** Its own name first, then each ancestor. */
  lineage: string[];
}

/**
 * Pass "search parameters": the parameters of each resource, those of its abstract ancestors
 * (`_id`, `_lastUpdated` from Resource, `_text` from DomainResource) marked `common`.
 *
 * Only the base specification's parameters are kept: the core packages also carry parameters for
 * profiles, extensions and examples. STU3/R4 mark those `experimental`; DSTU2 does not, so a
 * parameter that searches an extension, or that has neither an expression nor an xpath and is
 * neither common nor composite (DSTU2 profile parameters such as `condition-daf-Condition-age`),
 * is left out too. When two parameters of a resource share a code, the one named
 * `<Resource>-<code>` wins, then the one with a lower URL.
 *
 * Multi-resource expressions (`AllergyIntolerance.code | Condition.code`) are cut down to the parts
 * for the resource in hand (https://hl7.org/fhir/R4/searchparameter.html#2.1.1.1.4).
 */
export function searchParametersByResource(
  raw: RawSearchParameter[],
  resources: ResourceLineage[],
): Map<string, SearchParameter[]> {
  const resourceNames = new Set(resources.map((resource) => resource.name));
  const abstractNames = new Set(resources.filter((r) => r.abstract).map((r) => r.name));
  const byBase = new Map<string, RawSearchParameter[]>();
  for (const parameter of raw) {
    if (!isBaseSpecification(parameter, abstractNames)) continue;
    for (const base of asArray(parameter.base)) {
      const list = byBase.get(base);
      if (list) list.push(parameter);
      else byBase.set(base, [parameter]);
    }
  }
  const result = new Map<string, SearchParameter[]>();
  const split = partsSplitter();
  for (const resource of resources) {
    const chosen = new Map<string, { raw: RawSearchParameter; base: string }>();
    for (const base of resource.lineage) {
      for (const parameter of byBase.get(base) ?? []) {
        const current = chosen.get(parameter.code);
        if (!current || outranks(parameter, base, current.raw, current.base))
          chosen.set(parameter.code, { raw: parameter, base });
      }
    }
    const parameters = [...chosen.values()].map(({ raw: parameter, base }) =>
      toSearchParameter(
        parameter,
        base,
        base !== resource.name && abstractNames.has(base),
        resourceNames,
        split,
      ),
    );
    parameters.sort((a, b) => compare(a.code, b.code));
    result.set(resource.name, parameters);
  }
  return result;
}

function isBaseSpecification(parameter: RawSearchParameter, abstractNames: Set<string>): boolean {
  if ((parameter as { experimental?: boolean }).experimental === true) return false;
  const paths = `${parameter.expression ?? ''} ${parameter.xpath ?? ''}`;
  if (/extension\(|f:extension\[/.test(paths)) return false;
  // DSTU2 composite parameters have neither (their parts are described in prose) but are core.
  if (parameter.type === 'composite') return true;
  const common = asArray(parameter.base).some((base) => abstractNames.has(base));
  return common || parameter.expression !== undefined || parameter.xpath !== undefined;
}

function outranks(
  candidate: RawSearchParameter,
  candidateBase: string,
  current: RawSearchParameter,
  currentBase: string,
): boolean {
  const named = (parameter: RawSearchParameter, base: string) =>
    parameter.url === `http://hl7.org/fhir/SearchParameter/${base}-${parameter.code.replace(/^_/, '')}`;
  const a = named(candidate, candidateBase);
  const b = named(current, currentBase);
  if (a !== b) return a;
  return compare(candidate.url, current.url) < 0;
}

function toSearchParameter(
  raw: RawSearchParameter,
  base: string,
  common: boolean,
  resourceNames: Set<string>,
  split: (text: string, rootPattern: RegExp) => RootedPart[],
): SearchParameter {
  const parameter: SearchParameter = {
    code: raw.code,
    url: asCanonical(stripVersion(raw.url)),
    type: TYPES.find((type) => type === raw.type) ?? 'special',
    description: raw.description ?? '',
    targets: [...(raw.target ?? [])],
    modifiers: [...(raw.modifier ?? [])],
    comparators: [...(raw.comparator ?? [])],
    components: (raw.component ?? []).map((component) => ({
      definition: asCanonical(stripVersion(definitionOf(component.definition))) as CanonicalUrl,
      expression: component.expression ?? '',
    })),
    common,
  };
  if (raw.expression !== undefined) {
    const expression = restrict(split(raw.expression, EXPRESSION_ROOT), base, resourceNames);
    if (expression) parameter.expression = expression;
  }
  if (raw.xpath !== undefined) {
    const xpath = restrict(split(raw.xpath, XPATH_ROOT), base, resourceNames);
    if (xpath) parameter.xpath = xpath;
  }
  return parameter;
}

function definitionOf(definition: string | { reference?: string } | undefined): string {
  if (typeof definition === 'string') return definition;
  return definition?.reference ?? '';
}

const EXPRESSION_ROOT = /^\(*\s*([A-Za-z][A-Za-z0-9]*)/;
const XPATH_ROOT = /^\(*\s*\/?f:([A-Za-z][A-Za-z0-9]*)/;

/** Keeps the `|` parts of a FHIRPath expression that start at `base` (or at no resource at all). */
export function restrictExpression(expression: string, base: string, resourceNames: Set<string>): string {
  return restrict(rootedParts(expression, EXPRESSION_ROOT), base, resourceNames);
}

/** The same for DSTU2/STU3 XPath: `f:Patient/f:gender | f:Person/f:gender`. */
export function restrictXpath(xpath: string, base: string, resourceNames: Set<string>): string {
  return restrict(rootedParts(xpath, XPATH_ROOT), base, resourceNames);
}

interface RootedPart {
  text: string;
  /** The leading identifier (`Patient` in `Patient.gender`), when there is one. */
  root: string | undefined;
}

function rootedParts(text: string, rootPattern: RegExp): RootedPart[] {
  return splitUnion(text).map((part) => ({ text: part, root: rootPattern.exec(part)?.[1] }));
}

/** `rootedParts` memoised for one run of the pass: a parameter shared by many resources is split once. */
function partsSplitter(): (text: string, rootPattern: RegExp) => RootedPart[] {
  const cache = new Map<string, RootedPart[]>();
  return (text, rootPattern) => {
    const key = `${rootPattern === XPATH_ROOT ? 'x' : 'e'}${text}`;
    let parts = cache.get(key);
    if (!parts) {
      parts = rootedParts(text, rootPattern);
      cache.set(key, parts);
    }
    return parts;
  };
}

function restrict(parts: RootedPart[], base: string, resourceNames: Set<string>): string {
  return parts
    .filter(({ root }) => root === undefined || root === base || !resourceNames.has(root))
    .map(({ text }) => text)
    .join(' | ');
}

/** Splits on `|` outside parentheses, brackets and quotes. */
export function splitUnion(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '(' || char === '[') depth++;
    else if (char === ')' || char === ']') depth--;
    else if (char === '|' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((part) => part.length > 0);
}
