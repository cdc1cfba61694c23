/**
 * Mutants of official examples, each breaking exactly one constraint (invariant), at the top level,
 * nested in data types and backbones, inside `contained` and inside Bundle entries. Each recipe names
 * the key it breaks, the versions whose definitions carry it, and where the violation sits.
 */
import type { FhirVersionId } from '../src/ir/types';
import { bundle, div, type InvariantMutant, type Json, type Pick } from './invariants-recipe-kit';
import { CORE_RECIPES } from './invariants-recipes-core';
import { RESOURCE_RECIPES } from './invariants-recipes-resources';

export type { InvariantMutant, Json, Pick } from './invariants-recipe-kit';

const RECIPES = [...CORE_RECIPES, ...RESOURCE_RECIPES];

/** The mutants of one version: each recipe at its own place, then, for some, inside contained and a Bundle entry. */
export function buildInvariantMutants(version: FhirVersionId, pick: Pick): InvariantMutant[] {
  const mutants: InvariantMutant[] = [];
  for (const recipe of RECIPES) {
    if (recipe.versions !== undefined && !recipe.versions.includes(version)) continue;
    const base = structuredClone(recipe.base(pick, version));
    const json = structuredClone(base);
    recipe.mutate(json, version);
    const location = typeof recipe.location === 'string' ? recipe.location : recipe.location(version);
    const mutant: InvariantMutant = {
      name: `${recipe.key} ${location}`,
      key: recipe.key,
      json,
      base,
      location,
    };
    if (recipe.structural) mutant.structural = true;
    mutants.push(mutant);
    if (!recipe.wrap) continue;
    const type = String(base.resourceType);
    const relocate = (root: string) => `${root}${location.slice(type.length)}`;
    const contained = containedIn(base, json);
    mutants.push({
      ...contained,
      name: `${recipe.key} in contained`,
      key: recipe.key,
      location: relocate('Basic.contained[0]'),
    });
    mutants.push({
      name: `${recipe.key} in a Bundle entry`,
      key: recipe.key,
      base: bundle('collection', [base]),
      json: bundle('collection', [json]),
      location: relocate('Bundle.entry[0].resource'),
    });
  }
  return mutants;
}

/** Base and mutant as the contained resource of a Basic that refers to it (dom-3), without narrative or meta (dom-1, dom-4). */
function containedIn(base: Json, json: Json): { base: Json; json: Json } {
  const carrier = (resource: Json): Json => {
    const inner = structuredClone(resource);
    delete inner.text;
    delete inner.meta;
    inner.id = 'inner';
    return {
      resourceType: 'Basic',
      id: 'carrier',
      text: { status: 'generated', div: div('Carrier') },
      code: { text: 'carrier' },
      extension: [{ url: 'http://example.org/contained', valueReference: { reference: '#inner' } }],
      contained: [inner],
    };
  };
  return { base: carrier(base), json: carrier(json) };
}
