import { FhirgenError } from '../errors';
import type { TypeCategory } from './collect';
import type { RawElementDefinition, RawTypeRef } from './raw';
import { asArray, stripVersion } from './raw';
import { normaliseTypeCode } from './type-codes';
import type { TypeRef } from './types';
import { asCanonical } from './types';

/** What element type codes can name: the model's types, and the constraint types behind profiles. */
export interface TypeUniverse {
  /** Type name -> what it is (`string` -> primitive, `SimpleQuantity` -> complex ...). */
  categories: Map<string, TypeCategory>;
  /** Canonical URL of a constraint data type -> its name (`.../SimpleQuantity` -> `SimpleQuantity`). */
  constraintsByUrl: Map<string, string>;
  /**
   * What the DSTU2/STU3 type code `*` ("any type") stands for: the open types, which the same
   * version enumerates on `Extension.value[x]` (https://hl7.org/fhir/STU3/datatypes.html#open).
   */
  openTypes: string[];
}

/**
 * R4 4.0.1 types `Resource.id` as a FHIRPath System.String whose fhir-type extension says `string`,
 * while the specification's table gives it the `id` type (https://hl7.org/fhir/R4/resource.html#Resource),
 * as DSTU2 and STU3 do; `id` limits ids to 1-64 characters of `[A-Za-z0-9\-.]`. Keyed by base path, so
 * that every resource's `id` gets it.
 */
const TYPE_ERRATA: Readonly<Record<string, { from: string; to: string }>> = {
  'Resource.id': { from: 'string', to: 'id' },
};

/** The element's merged types with the errata above applied. */
export function elementTypes(element: RawElementDefinition, universe: TypeUniverse): MergedType[] {
  const types = mergeTypes(element.type ?? [], universe);
  const erratum = TYPE_ERRATA[element.base?.path ?? element.path];
  if (!erratum || !universe.categories.has(erratum.to)) return types;
  return types.map((type) => (type.code === erratum.from ? { ...type, code: erratum.to } : type));
}

/** One distinct type code of an element, with the profiles of all its entries merged. */
export interface MergedType {
  code: string;
  profiles: string[];
  targetProfiles: string[];
}

/**
 * Merges an element's type entries by code, first-seen order: STU3 repeats `Reference` once per
 * target profile, and `*` expands to the open types.
 */
export function mergeTypes(types: RawTypeRef[], universe: TypeUniverse): MergedType[] {
  const merged = new Map<string, MergedType>();
  for (const type of types) {
    const code = normaliseTypeCode(type);
    if (code === undefined) continue;
    const codes = code === '*' ? universe.openTypes : [code];
    for (const each of codes) {
      let entry = merged.get(each);
      if (!entry) {
        entry = { code: each, profiles: [], targetProfiles: [] };
        merged.set(each, entry);
      }
      const { profiles, targets } = profilesOf(type, each);
      addAll(entry.profiles, profiles);
      addAll(entry.targetProfiles, targets);
    }
  }
  return [...merged.values()];
}

/**
 * DSTU2 has no `targetProfile`: there a Reference's `profile` names the referenced resource
 * (https://hl7.org/fhir/DSTU2/elementdefinition-definitions.html#ElementDefinition.type.profile).
 */
function profilesOf(type: RawTypeRef, code: string): { profiles: string[]; targets: string[] } {
  const profiles = asArray(type.profile).map(stripVersion);
  const targets = asArray(type.targetProfile).map(stripVersion);
  if (code === 'Reference' && type.targetProfile === undefined) return { profiles: [], targets: profiles };
  return { profiles, targets };
}

/**
 * A merged type as a TypeRef. A profile that names a constraint data type of the model makes that
 * type the element's type (STU3/R4 `Quantity` profiled as `SimpleQuantity` is a `SimpleQuantity`,
 * as DSTU2 writes it directly).
 */
export function toTypeRef(type: MergedType, universe: TypeUniverse, location: string): TypeRef {
  const constraint = type.profiles.map((profile) => universe.constraintsByUrl.get(profile)).find(Boolean);
  const name = constraint ?? type.code;
  switch (universe.categories.get(name)) {
    case 'primitive': {
      const ref: TypeRef = { kind: 'primitive', name };
      if (type.targetProfiles.length > 0) ref.targetProfiles = type.targetProfiles.map(asCanonical);
      return ref;
    }
    case 'resource':
      return { kind: 'resource', name };
    case 'complex': {
      const ref: TypeRef = { kind: 'complex', name };
      if (type.profiles.length > 0) ref.profiles = type.profiles.map(asCanonical);
      if (type.targetProfiles.length > 0) ref.targetProfiles = type.targetProfiles.map(asCanonical);
      return ref;
    }
    default:
      throw new FhirgenError(
        'UNKNOWN_TYPE',
        `an element uses the type ${name}, which the packages do not define`,
        {
          location,
          hint: 'load the package that defines it',
        },
      );
  }
}

function addAll(target: string[], values: string[]): void {
  for (const value of values) if (!target.includes(value)) target.push(value);
}
