/**
 * What the embedded store knows of terminology, from the version's own definitions (generated into
 * `server/value-sets.json` and `server/code-systems.json`): the members of bound ValueSets for
 * `:in`/`:not-in`, and code system hierarchies for `:above`/`:below`
 * (https://hl7.org/fhir/R4/search.html#token). Both load on the first search that needs them.
 */

type Loadable<T> = T | (() => T);

/** ValueSet URL -> members as `system|code`. */
export type ValueSetMembers = Readonly<Record<string, readonly string[]>>;
/** Code system URL -> code -> its ancestors, nearest first (codes without a parent are not listed). */
export type CodeAncestors = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface TerminologySource {
  valueSets?: Loadable<ValueSetMembers>;
  codeSystems?: Loadable<CodeAncestors>;
}

export interface Terminology {
  valueSet(url: string): readonly string[] | undefined;
  subsumed(system: string | undefined, code: string, direction: 'above' | 'below'): string[];
}

export function createTerminology(source: TerminologySource): Terminology {
  const valueSets = lazy(source.valueSets ?? {});
  const ancestors = lazy(source.codeSystems ?? {});
  let descendants: Map<string, Map<string, string[]>> | undefined;
  const below = (system: string): Map<string, string[]> => {
    descendants ??= invert(ancestors());
    return descendants.get(system) ?? new Map();
  };
  return {
    valueSet(url) {
      const members = valueSets();
      return Object.hasOwn(members, url) ? members[url] : undefined;
    },
    subsumed(system, code, direction) {
      const all = ancestors();
      // Without a system, the code in every code system whose hierarchy knows it, and in any other.
      const systems =
        system !== undefined
          ? [system]
          : Object.keys(all).filter((s) => Object.hasOwn(all[s] ?? {}, code) || below(s).has(code));
      const keys = system === undefined ? [`|${code}`] : [];
      for (const s of systems) {
        const related =
          direction === 'above'
            ? Object.hasOwn(all[s] ?? {}, code)
              ? all[s]?.[code]
              : []
            : below(s).get(code);
        keys.push(`${s}|${code}`, ...(related ?? []).map((other) => `${s}|${other}`));
      }
      return keys;
    },
  };
}

function lazy<T>(source: Loadable<T>): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= typeof source === 'function' ? (source as () => T)() : source;
    return loaded;
  };
}

/** Per code system: code -> every code below it. */
function invert(all: CodeAncestors): Map<string, Map<string, string[]>> {
  const bySystem = new Map<string, Map<string, string[]>>();
  for (const [system, codes] of Object.entries(all)) {
    const map = new Map<string, string[]>();
    for (const [code, above] of Object.entries(codes)) {
      for (const ancestor of above) map.set(ancestor, [...(map.get(ancestor) ?? []), code]);
    }
    bySystem.set(system, map);
  }
  return bySystem;
}
