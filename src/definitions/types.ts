/** What the loader hands to the IR: packages with their definitional resources, indexed. */

export interface PackageId {
  name: string;
  version: string;
}

export const packageKey = (id: PackageId): string => `${id.name}@${id.version}`;

/** `package/package.json` of a FHIR package (only the fields fhirgen reads). */
export interface PackageManifest {
  name: string;
  version: string;
  fhirVersions?: string[];
  'fhir-version-list'?: string[];
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** A FHIR resource as parsed JSON. */
export interface FhirResourceJson {
  resourceType: string;
  id?: string;
  url?: string;
  [key: string]: unknown;
}

export interface LoadedPackage {
  id: PackageId;
  manifest: PackageManifest;
  /** The FHIR version the package is for (`4.0.1`). */
  fhirVersion: string;
  /** Every resource in the package, Bundle contents unpacked (`Bundle-searchParams.json` in DSTU2). */
  resources: FhirResourceJson[];
  /** Where it was read from: a cache folder, archive or file. */
  source: string;
}
