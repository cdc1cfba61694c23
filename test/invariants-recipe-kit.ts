/** Types and helpers of the invariant mutant recipes (test/invariants-recipes-*.ts). */
import type { FhirVersionId } from '../src/ir/types';

export type Json = Record<string, unknown>;

/** The first official example of a type (structurally valid, meeting its constraints) that `has` accepts. */
export type Pick = (type: string, has?: (json: Json) => boolean) => Json;

export interface InvariantMutant {
  name: string;
  key: string;
  json: Json;
  /** The base it was made from, which must be valid. */
  base: Json;
  location: string;
  structural?: boolean;
}

export interface Recipe {
  key: string;
  name?: string;
  versions?: FhirVersionId[];
  /** The example to mutate (a clone). */
  base: (pick: Pick, version: FhirVersionId) => Json;
  mutate: (json: Json, version: FhirVersionId) => void;
  /** Where the violation is, rooted at the resource's type. */
  location: string | ((version: FhirVersionId) => string);
  /** Also run the mutant as a contained resource, and as a Bundle entry. */
  wrap?: boolean;
  /** The structural validator rejects the mutant too (the schema has no such element): the evaluator alone is checked. */
  structural?: boolean;
}

export const NEW = ['stu3', 'r4'] as FhirVersionId[];
export const div = (text: string) => `<div xmlns="http://www.w3.org/1999/xhtml"><p>${text}</p></div>`;
export const medication = (version: FhirVersionId) =>
  version === 'dstu2' ? 'MedicationOrder' : 'MedicationRequest';
export const has = (path: string) => (json: Json) =>
  path.split('.').reduce<unknown>((node, key) => (node as Json | undefined)?.[key], json) !== undefined;
export const drop = (json: Json, prefix: string) => {
  for (const key of Object.keys(json)) if (key.startsWith(prefix)) delete json[key];
};
export const organization = (extra: Json = {}) => ({
  resourceType: 'Organization',
  id: 'org1',
  name: 'Contained',
  ...extra,
});
export const withContained = (json: Json, contained: Json) => {
  json.contained = [contained];
  json.managingOrganization = { reference: `#${contained.id}` };
};
export const bundle = (type: string, resources: Json[], extra: Json = {}): Json => ({
  resourceType: 'Bundle',
  type,
  ...extra,
  entry: resources.map((resource, i) => ({
    fullUrl: `http://example.org/fhir/${resource.resourceType}/m${i}`,
    resource,
  })),
});
export const timing = (repeat: Json) => (json: Json) => {
  const dosage = (json.dosageInstruction as Json[])[0] as Json;
  dosage.timing = { repeat };
};
export const firstLinkIds = (json: unknown, found: Json[] = []): Json[] => {
  if (Array.isArray(json)) for (const item of json) firstLinkIds(item, found);
  else if (json !== null && typeof json === 'object') {
    if (typeof (json as Json).linkId === 'string') found.push(json as Json);
    for (const value of Object.values(json)) firstLinkIds(value, found);
  }
  return found;
};
export const coded = (system: string, code: string) => ({ coding: [{ system, code }] });
