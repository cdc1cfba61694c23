import type { DefinitionIndex } from './definition-index';
import { externalReason } from './external-code-systems';
import type { RawConcept, RawContains, RawFilter, RawInclude, RawValueSet } from './raw';
import { asArray, stripVersion } from './raw';

/** The codes of a ValueSet, or why they cannot be listed. */
export type Expansion = { codes: string[] } | { unresolved: string };

/** A concept of a code system, flattened from its hierarchy, with its ancestors' codes. */
interface FlatConcept {
  code: string;
  selectable: boolean;
  ancestors: string[];
  properties: Map<string, string>;
}

/**
 * Expands ValueSets from the packages alone (no terminology server), memoised per URL:
 * an `expansion` when the package carries one; otherwise `compose` (DSTU2 `import`, STU3/R4
 * `include.valueSet`, `include.system` with listed concepts, filters or the whole code system, then
 * `exclude`), with DSTU2's inline `ValueSet.codeSystem` as a code system
 * (https://hl7.org/fhir/DSTU2/valueset.html#7.14.4; https://hl7.org/fhir/R4/valueset.html#compositions).
 */
export function createExpander(index: DefinitionIndex): (url: string) => Expansion {
  const systems = codeSystemConcepts(index);
  const done = new Map<string, Expansion>();
  const inProgress = new Set<string>();
  const expand = (url: string): Expansion => {
    const known = done.get(url);
    if (known) return known;
    if (inProgress.has(url)) return { unresolved: `ValueSet ${url} includes itself` };
    inProgress.add(url);
    const result = expandValueSet(url, index.valueSets.get(url), systems, expand);
    inProgress.delete(url);
    done.set(url, result);
    return result;
  };
  return expand;
}

function expandValueSet(
  url: string,
  valueSet: RawValueSet | undefined,
  systems: CodeSystems,
  expand: (url: string) => Expansion,
): Expansion {
  if (!valueSet) {
    return { unresolved: externalReason(url) ?? `ValueSet ${url} is not in the packages` };
  }
  if (valueSet.expansion?.contains) return { codes: unique(flattenContains(valueSet.expansion.contains)) };
  const codes: string[] = [];
  // DSTU2: the codes a ValueSet defines inline are all members of it.
  if (valueSet.codeSystem) {
    codes.push(...selectable(systems(valueSet.codeSystem.system) ?? []));
  }
  for (const imported of valueSet.compose?.import ?? []) {
    const result = expand(stripVersion(imported));
    if ('unresolved' in result) return result;
    codes.push(...result.codes);
  }
  for (const include of valueSet.compose?.include ?? []) {
    const result = includeCodes(include, systems, expand);
    if ('unresolved' in result) return result;
    codes.push(...result.codes);
  }
  const excluded = new Set<string>();
  for (const exclude of valueSet.compose?.exclude ?? []) {
    const result = includeCodes(exclude, systems, expand);
    if ('unresolved' in result) return result;
    for (const code of result.codes) excluded.add(code);
  }
  return { codes: unique(codes.filter((code) => !excluded.has(code))) };
}

function includeCodes(
  include: RawInclude,
  systems: CodeSystems,
  expand: (url: string) => Expansion,
): Expansion {
  let fromValueSets: Set<string> | undefined;
  for (const url of asArray(include.valueSet)) {
    const result = expand(stripVersion(url));
    if ('unresolved' in result) return result;
    fromValueSets = fromValueSets
      ? new Set(result.codes.filter((code) => fromValueSets?.has(code)))
      : new Set(result.codes);
  }
  if (include.system === undefined) return { codes: [...(fromValueSets ?? [])] };
  let codes: string[];
  if (include.concept && include.concept.length > 0) {
    codes = include.concept.map((concept) => concept.code);
  } else {
    const concepts = systems(include.system);
    if (!concepts) {
      return {
        unresolved:
          externalReason(include.system) ?? `the codes of ${include.system} are not in the packages`,
      };
    }
    const filtered = applyFilters(concepts, include.filter ?? []);
    if ('unresolved' in filtered) return filtered;
    codes = filtered.codes;
  }
  return { codes: fromValueSets ? codes.filter((code) => fromValueSets?.has(code)) : codes };
}

/** The filters a package-only expansion can apply; others leave the binding unresolved. */
function applyFilters(concepts: FlatConcept[], filters: RawFilter[]): Expansion {
  let current = concepts.filter((concept) => concept.selectable);
  for (const filter of filters) {
    const value = filter.value ?? '';
    switch (filter.op) {
      case 'is-a':
        current = current.filter((c) => c.code === value || c.ancestors.includes(value));
        break;
      case 'descendent-of':
        current = current.filter((c) => c.ancestors.includes(value));
        break;
      case 'is-not-a':
        current = current.filter((c) => c.code !== value && !c.ancestors.includes(value));
        break;
      case '=':
        current = current.filter((c) => c.properties.get(filter.property ?? '') === value);
        break;
      default:
        return {
          unresolved: `the filter ${filter.property} ${filter.op} ${value} needs a terminology server`,
        };
    }
  }
  return { codes: current.map((concept) => concept.code) };
}

/** Code system URL -> its concepts, flattened on first use (most of a core's code systems are never needed). */
type CodeSystems = (system: string) => FlatConcept[] | undefined;

/**
 * Every complete code system of the packages: STU3/R4 CodeSystem resources, and the code systems
 * DSTU2 ValueSets define inline. Systems whose content is `not-present`, `example` or `fragment`
 * cannot be enumerated and are left out.
 */
function codeSystemConcepts(index: DefinitionIndex): CodeSystems {
  const sources = new Map<string, RawConcept[]>();
  for (const codeSystem of index.codeSystems.values()) {
    if (codeSystem.content !== undefined && codeSystem.content !== 'complete') continue;
    sources.set(stripVersion(codeSystem.url), codeSystem.concept ?? []);
  }
  for (const valueSet of index.valueSets.values()) {
    const inline = valueSet.codeSystem;
    if (inline?.system && !sources.has(inline.system)) sources.set(inline.system, inline.concept ?? []);
  }
  const flattened = new Map<string, FlatConcept[]>();
  return (system) => {
    const done = flattened.get(system);
    if (done) return done;
    const concepts = sources.get(system);
    if (!concepts) return undefined;
    const flat = flattenConcepts(concepts, []);
    flattened.set(system, flat);
    return flat;
  };
}

function flattenConcepts(concepts: RawConcept[], ancestors: string[]): FlatConcept[] {
  const flat: FlatConcept[] = [];
  for (const concept of concepts) {
    if (concept.code === undefined) continue;
    const properties = new Map<string, string>();
    for (const property of concept.property ?? []) {
      const value =
        property.valueCode ??
        (property.valueBoolean === undefined ? undefined : String(property.valueBoolean));
      if (value !== undefined) properties.set(property.code, value);
    }
    // R4 marks abstract concepts with the `notSelectable` property; DSTU2 with `abstract`.
    const selectable = concept.abstract !== true && properties.get('notSelectable') !== 'true';
    flat.push({ code: concept.code, selectable, ancestors, properties });
    flat.push(...flattenConcepts(concept.concept ?? [], [...ancestors, concept.code]));
  }
  return flat;
}

function selectable(concepts: FlatConcept[]): string[] {
  return concepts.filter((concept) => concept.selectable).map((concept) => concept.code);
}

function flattenContains(contains: RawContains[]): string[] {
  const codes: string[] = [];
  for (const entry of contains) {
    if (entry.code !== undefined && entry.abstract !== true) codes.push(entry.code);
    codes.push(...flattenContains(entry.contains ?? []));
  }
  return codes;
}

function unique(codes: string[]): string[] {
  return [...new Set(codes)];
}
