import type { FhirResourceJson } from './types';

/**
 * Conformance and terminology resources (http://hl7.org/fhir/R4/conformance-module.html and
 * terminology-module.html). A collection Bundle holding only these is a definitions Bundle, such as the
 * `Bundle-types.json` and `Bundle-searchParams.json` of the DSTU2 and STU3 core packages.
 */
const DEFINITION_TYPES = new Set([
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'SearchParameter',
  'OperationDefinition',
  'CompartmentDefinition',
  'ConceptMap',
  'NamingSystem',
  'CapabilityStatement',
  'Conformance',
  'ImplementationGuide',
  'StructureMap',
  'DataElement',
  'GraphDefinition',
  'MessageDefinition',
  'TerminologyCapabilities',
]);

/** What one file held, for the folder index: its type and, for a definitions Bundle, its entries. */
export interface FileSummary {
  resourceType: string;
  /** The identity of a standalone resource (see resourceIdentity). */
  key?: string;
  /** Set for definitions Bundles: the identities and the types of their entries. */
  entries?: { keys: string[]; types: string[] };
}

/**
 * Gathers the resources of one source. Definitions Bundles are replaced by their entries; a resource seen
 * twice (the DSTU2 and STU3 cores hold each definition both as a file and inside a Bundle) is kept once,
 * and the standalone file wins: Bundle entries are added only after every file. Other Bundles (examples)
 * stay as they are.
 */
export class ResourceCollector {
  private readonly kept: FhirResourceJson[] = [];
  private readonly deferred: FhirResourceJson[][] = [];
  private readonly seen = new Set<string>();

  /** `unpackAnyBundle`: a Bundle given as a definitions source is unpacked whatever it holds. */
  constructor(private readonly unpackAnyBundle = false) {}

  /** Adds one parsed file; returns what it held, or undefined when it is not a resource. */
  add(json: unknown): FileSummary | undefined {
    if (!isResource(json)) return undefined;
    if (json.resourceType === 'Bundle') {
      const entries = bundleEntries(json);
      if (entries.length > 0 && (this.unpackAnyBundle || entries.every(isDefinition))) {
        this.deferred.push(entries);
        const keys = entries.map((entry) => resourceIdentity(entry) ?? '');
        return {
          resourceType: 'Bundle',
          entries: { keys, types: [...new Set(entries.map((e) => e.resourceType))] },
        };
      }
    }
    this.keep(json);
    return { resourceType: json.resourceType, key: resourceIdentity(json) };
  }

  /** Every resource, standalone files first, then Bundle entries not seen before; optionally of some types only. */
  finish(resourceTypes?: ReadonlySet<string>): FhirResourceJson[] {
    for (const entries of this.deferred.splice(0)) {
      for (const entry of entries) this.keep(entry);
    }
    return resourceTypes
      ? this.kept.filter((resource) => resourceTypes.has(resource.resourceType))
      : this.kept;
  }

  private keep(resource: FhirResourceJson): void {
    const key = resourceIdentity(resource);
    if (key !== undefined) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.kept.push(resource);
  }
}

export function isResource(json: unknown): json is FhirResourceJson {
  return (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { resourceType?: unknown }).resourceType === 'string'
  );
}

function isDefinition(resource: FhirResourceJson): boolean {
  return DEFINITION_TYPES.has(resource.resourceType);
}

function bundleEntries(bundle: FhirResourceJson): FhirResourceJson[] {
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as { resource?: unknown }[]) : [];
  return entries.map((entry) => entry?.resource).filter(isResource);
}

/** Canonical resources are one per url and version; others one per type and id. */
export function resourceIdentity(resource: FhirResourceJson): string | undefined {
  if (typeof resource.url === 'string') {
    const version = typeof resource.version === 'string' ? resource.version : '';
    return `${resource.resourceType}|${resource.url}|${version}`;
  }
  if (typeof resource.id === 'string') return `${resource.resourceType}/${resource.id}`;
  return undefined;
}
