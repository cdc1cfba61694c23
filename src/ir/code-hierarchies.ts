import type { DefinitionIndex } from './definition-index';
import { asCanonical, type CodeHierarchy } from './types';
import { completeCodeSystems, flattenConcepts } from './valueset-expansion';

/**
 * Pass "code hierarchies": for every code system the packages list completely and whose concepts
 * nest, each code's ancestors, nearest first, sorted by system. A server answers a token search's
 * `:above`/`:below` (subsumption, https://hl7.org/fhir/R4/search.html#token) with them. Code systems
 * without a hierarchy are left out: there `:below` is the code itself.
 */
export function codeHierarchies(index: DefinitionIndex): CodeHierarchy[] {
  const found: CodeHierarchy[] = [];
  for (const [system, concepts] of [...completeCodeSystems(index)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ancestors: Record<string, string[]> = {};
    for (const concept of flattenConcepts(concepts, [])) {
      if (concept.ancestors.length === 0) continue;
      const nearestFirst = [...concept.ancestors].reverse();
      // A code listed under several parents keeps the ancestors of each.
      ancestors[concept.code] = [...new Set([...(ancestors[concept.code] ?? []), ...nearestFirst])];
    }
    if (Object.keys(ancestors).length > 0) found.push({ system: asCanonical(system), ancestors });
  }
  return found;
}
