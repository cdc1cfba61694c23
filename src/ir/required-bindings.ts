import type { DefinitionIndex } from './definition-index';
import { allElements } from './lookup';
import type { ComplexType, ResourceType } from './types';
import { createExpander } from './valueset-expansion';

/**
 * Pass "required bindings": the codes of every required binding's ValueSet, expanded from the
 * packages; where that is impossible (an external code system) the binding says why in `unresolved`.
 * Other strengths are left as they are: their codes are not a closed list. Each binding gets its own
 * copy of the codes, so that an emitter that sorts one list does not change another.
 */
export function resolveRequiredBindings(types: (ComplexType | ResourceType)[], index: DefinitionIndex): void {
  const expand = createExpander(index);
  for (const type of types) {
    for (const element of allElements(type)) {
      const binding = element.binding;
      if (binding?.strength !== 'required') continue;
      if (binding.valueSet === undefined) {
        binding.unresolved = 'the binding names no ValueSet';
        continue;
      }
      const expansion = expand(binding.valueSet);
      if ('codes' in expansion && expansion.codes.length > 0) binding.codes = [...expansion.codes];
      else
        binding.unresolved =
          'unresolved' in expansion ? expansion.unresolved : `ValueSet ${binding.valueSet} has no codes`;
    }
  }
}
