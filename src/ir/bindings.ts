import { BINDING_ERRATA } from './external-code-systems';
import type { RawBinding } from './raw';
import { stripVersion } from './raw';
import type { Binding, BindingStrength } from './types';
import { asCanonical } from './types';

const STRENGTHS: readonly BindingStrength[] = ['required', 'extensible', 'preferred', 'example'];

/**
 * A binding in one shape for every version: the ValueSet is `valueSet` in R4 and
 * `valueSetReference.reference` or `valueSetUri` in DSTU2/STU3
 * (https://hl7.org/fhir/STU3/elementdefinition-definitions.html#ElementDefinition.binding.valueSet_x_),
 * always without its `|version`, and with the known errata of the core packages corrected.
 */
export function normaliseBinding(raw: RawBinding): Binding | undefined {
  const strength = STRENGTHS.find((each) => each === raw.strength);
  if (strength === undefined) return undefined;
  const binding: Binding = { strength };
  const valueSet = raw.valueSet ?? raw.valueSetReference?.reference ?? raw.valueSetUri;
  if (valueSet !== undefined) {
    const url = stripVersion(valueSet);
    binding.valueSet = asCanonical(BINDING_ERRATA[url] ?? url);
  }
  if (raw.description !== undefined) binding.description = raw.description;
  return binding;
}
