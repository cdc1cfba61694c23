import type { DefinitionIndex } from './definition-index';
import { externalReason } from './external-code-systems';
import type { RawConcept, RawContains, RawFilter, RawInclude, RawValueSet } from './raw';
import { asArray, stripVersion } from './raw';

/** A member of an expanded ValueSet; `system` is absent only where the package's own expansion omits it. */
export interface ExpandedCode {
  system?: string;
  code: string;
}

/** The members of a ValueSet and their distinct codes, or why they cannot be listed. */
export type Expansion = { codes: string[]; members: ExpandedCode[] } | { unresolved: string };

/** A concept of a code system, flattened from its hierarchy, with its ancestors' codes. */
export interface FlatConcept {
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
  if (valueSet.expansion?.contains) return expansionOf(flattenContains(valueSet.expansion.contains));
  const members: ExpandedCode[] = [];
  // DSTU2: the codes a ValueSet defines inline are all members of it.
  if (valueSet.codeSystem) {
    const { system } = valueSet.codeSystem;
    members.push(...selectable(systems(system) ?? []).map((code) => ({ system, code })));
  }
  for (const imported of valueSet.compose?.import ?? []) {
    const result = expand(stripVersion(imported));
    if ('unresolved' in result) return result;
    members.push(...result.members);
  }
  for (const include of valueSet.compose?.include ?? []) {
    const result = includeCodes(include, systems, expand);
    if ('unresolved' in result) return result;
    members.push(...result.members);
  }
  const excluded = new Set<string>();
  for (const exclude of valueSet.compose?.exclude ?? []) {
    const result = includeCodes(exclude, systems, expand);
    if ('unresolved' in result) return result;
    for (const member of result.members) excluded.add(memberKey(member));
  }
  return expansionOf(members.filter((member) => !excluded.has(memberKey(member))));
}

function includeCodes(
  include: RawInclude,
  systems: CodeSystems,
  expand: (url: string) => Expansion,
): Expansion {
  // Members of every ValueSet named (an intersection), by system and code.
  let fromValueSets: Map<string, ExpandedCode> | undefined;
  for (const url of asArray(include.valueSet)) {
    const result = expand(stripVersion(url));
    if ('unresolved' in result) return result;
    const previous = fromValueSets;
    fromValueSets = new Map(
      result.members.filter((m) => previous?.has(memberKey(m)) ?? true).map((m) => [memberKey(m), m]),
    );
  }
  const system = include.system;
  if (system === undefined) return expansionOf([...(fromValueSets?.values() ?? [])]);
  let codes: string[];
  if (include.concept && include.concept.length > 0) {
    codes = include.concept.map((concept) => concept.code);
  } else {
    const concepts = systems(system);
    if (!concepts) {
      return { unresolved: externalReason(system) ?? `the codes of ${system} are not in the packages` };
    }
    const filtered = applyFilters(concepts, include.filter ?? []);
    if ('unresolved' in filtered) return filtered;
    codes = filtered.codes;
  }
  const members = codes.map((code) => ({ system, code }));
  return expansionOf(fromValueSets ? members.filter((m) => fromValueSets?.has(memberKey(m))) : members);
}

/** The filters a package-only expansion can apply; others leave the binding unresolved. */
function applyFilters(
  concepts: FlatConcept[],
  filters: RawFilter[],
): { codes: string[] } | { unresolved: string } {
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
  const sources = completeCodeSystems(index);
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

/** The concepts of every code system the packages list completely, by URL. */
export function completeCodeSystems(index: DefinitionIndex): Map<string, RawConcept[]> {
  const sources = new Map<string, RawConcept[]>();
  for (const codeSystem of index.codeSystems.values()) {
    if (codeSystem.content !== undefined && codeSystem.content !== 'complete') continue;
    sources.set(stripVersion(codeSystem.url), codeSystem.concept ?? []);
  }
  for (const valueSet of index.valueSets.values()) {
    const inline = valueSet.codeSystem;
    if (inline?.system && !sources.has(inline.system)) sources.set(inline.system, inline.concept ?? []);
  }
  return sources;
}

export function flattenConcepts(concepts: RawConcept[], ancestors: string[]): FlatConcept[] {
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

function flattenContains(contains: RawContains[]): ExpandedCode[] {
  const members: ExpandedCode[] = [];
  for (const entry of contains) {
    if (entry.code !== undefined && entry.abstract !== true) {
      members.push(
        entry.system === undefined ? { code: entry.code } : { system: entry.system, code: entry.code },
      );
    }
    members.push(...flattenContains(entry.contains ?? []));
  }
  return members;
}

const memberKey = (member: ExpandedCode): string => `${member.system ?? ''}|${member.code}`;

/** Members without repeats, in first-seen order, and their distinct codes. */
function expansionOf(members: ExpandedCode[]): Expansion {
  const unique = [...new Map(members.map((member) => [memberKey(member), member])).values()];
  return { codes: [...new Set(unique.map((member) => member.code))], members: unique };
}
