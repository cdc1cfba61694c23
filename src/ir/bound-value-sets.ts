import type { DefinitionIndex } from './definition-index';
import { allElements } from './lookup';
import { asCanonical, type BoundValueSet, type ComplexType, type ResourceType } from './types';
import { createExpander } from './valueset-expansion';

/**
 * The largest ValueSet kept for `:in` searches. Bound ValueSets of the cores stay far below it; the
 * bound is there so that a package with a huge enumerated code system cannot bloat every project.
 */
const MAX_MEMBERS = 5000;

/**
 * Pass "bound value sets": every ValueSet bound to an element of the version's types (any strength),
 * expanded from the packages, with each member's code system, sorted by URL. A server answers a
 * token search's `:in`/`:not-in` with them (https://hl7.org/fhir/R4/search.html#token). ValueSets
 * that cannot be listed from the packages (external code systems, filters a terminology server must
 * apply) are left out; a search that names one is told so.
 */
export function boundValueSets(
  types: (ComplexType | ResourceType)[],
  index: DefinitionIndex,
): BoundValueSet[] {
  const urls = new Set<string>();
  for (const type of types) {
    for (const element of allElements(type)) {
      if (element.binding?.valueSet !== undefined) urls.add(element.binding.valueSet);
    }
  }
  const expand = createExpander(index);
  const found: BoundValueSet[] = [];
  for (const url of [...urls].sort()) {
    const expansion = expand(url);
    if (!('members' in expansion)) continue;
    const members = expansion.members.flatMap((member) =>
      member.system === undefined ? [] : [{ system: member.system, code: member.code }],
    );
    if (members.length > 0 && members.length <= MAX_MEMBERS) found.push({ url: asCanonical(url), members });
  }
  return found;
}
