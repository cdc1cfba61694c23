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

/**
 * Gathers the resources of one source. Definitions Bundles are replaced by their entries; a resource seen
 * twice (the DSTU2 and STU3 cores hold each definition both as a file and inside a Bundle) is kept once.
 * Other Bundles (examples) stay as they are.
 */
export class ResourceCollector {
  readonly resources: FhirResourceJson[] = [];
  private readonly seen = new Set<string>();

  /** `unpackAnyBundle`: a Bundle given as a definitions source is unpacked whatever it holds. */
  constructor(private readonly unpackAnyBundle = false) {}

  add(json: unknown): void {
    if (!isResource(json)) return;
    if (json.resourceType === 'Bundle') {
      const entries = bundleEntries(json);
      if (entries.length > 0 && (this.unpackAnyBundle || entries.every(isDefinition))) {
        for (const entry of entries) this.add(entry);
        return;
      }
    }
    const key = resourceIdentity(json);
    if (key !== undefined) {
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.resources.push(json);
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
