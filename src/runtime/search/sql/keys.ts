/**
 * Index keys: the `param` column of the index tables. One store serves every FHIR version it mounts,
 * and the same JSON is read through each, so a resource is indexed once and is searchable through
 * every version. A parameter whose definition (type, expression up to spacing, components) is the
 * same in several versions selects the same values in each, and its rows are shared under one key; a
 * version whose definition of the code differs has its own key, and its own rows. The key is derived from the
 * definition alone, so the indexer and the engine agree on it whichever versions a server mounts, and
 * so does a store reopened by a server that mounts other versions.
 */
import { createHash } from 'node:crypto';
import { canonicalExpression } from '../index/compile';
import type { SearchParamDef } from '../table';

const keys = new WeakMap<SearchParamDef, string>();

// The code and the targets are left out: they name the parameter and restrict what a chain may
// follow, not which values are indexed. Two codes with one definition (R4 Patient `name` and
// `phonetic`) share their rows.

/**
 * Six base64url characters (36 bits) of a hash of the definition: shorter than most codes, which
 * every index row and index entry repeats. Only the definitions of one resource type (a few hundred at
 * most, over all versions) must not collide, which 36 bits make vanishingly unlikely.
 */
export function indexKey(def: SearchParamDef): string {
  let key = keys.get(def);
  if (key === undefined) {
    const meaning = [
      def.type,
      def.expression === undefined ? null : canonicalExpression(def.expression),
      def.components.map((component) => [component.type, canonicalExpression(component.expression)]),
    ];
    key = createHash('sha1').update(JSON.stringify(meaning)).digest('base64url').slice(0, 6);
    keys.set(def, key);
  }
  return key;
}

/** Row key of a composite's component `index`: `<key>.0`, `<key>.1`. */
export const componentKey = (def: SearchParamDef, index: number): string => `${indexKey(def)}.${index}`;

/** Row key of a reference's `identifier` (token rows, searched with `:identifier`, R4). */
export const identifierKey = (def: SearchParamDef): string => `${indexKey(def)}:i`;
