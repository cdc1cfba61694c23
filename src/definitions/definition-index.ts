import { resourceIdentity } from './collector';
import type { FhirResourceJson, LoadedPackage } from './types';

/**
 * Every resource of a set of packages, by canonical URL and by resource type. A canonical reference may
 * carry a version (`url|version`, http://hl7.org/fhir/R4/references.html#canonical): `resolve` accepts
 * both forms. When several packages define the same URL the first package given wins, so list the
 * packages asked for before their dependencies.
 */
export class DefinitionIndex {
  readonly packages: readonly LoadedPackage[];
  private readonly byUrl = new Map<string, FhirResourceJson>();
  private readonly byVersionedUrl = new Map<string, FhirResourceJson>();
  private readonly byType = new Map<string, FhirResourceJson[]>();
  private readonly origin = new Map<FhirResourceJson, LoadedPackage>();

  constructor(packages: readonly LoadedPackage[]) {
    this.packages = packages;
    const seen = new Set<string>();
    for (const pkg of packages) {
      for (const resource of pkg.resources) {
        const key = resourceIdentity(resource);
        if (key !== undefined && seen.has(key)) continue;
        if (key !== undefined) seen.add(key);
        this.add(resource, pkg);
      }
    }
  }

  /** The resource with this canonical URL (`|version` optional), if any. */
  resolve(canonical: string): FhirResourceJson | undefined {
    const bar = canonical.indexOf('|');
    if (bar < 0) return this.byUrl.get(canonical);
    return this.byVersionedUrl.get(canonical) ?? this.byUrl.get(canonical.slice(0, bar));
  }

  /** Every resource of a type (`StructureDefinition`), in package order. */
  ofType(resourceType: string): readonly FhirResourceJson[] {
    return this.byType.get(resourceType) ?? [];
  }

  /** The resource types present. */
  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** The package a resource of this index came from. */
  packageOf(resource: FhirResourceJson): LoadedPackage | undefined {
    return this.origin.get(resource);
  }

  private add(resource: FhirResourceJson, pkg: LoadedPackage): void {
    this.origin.set(resource, pkg);
    const list = this.byType.get(resource.resourceType);
    if (list) list.push(resource);
    else this.byType.set(resource.resourceType, [resource]);
    if (typeof resource.url !== 'string') return;
    const url = resource.url.split('|')[0] ?? resource.url;
    if (!this.byUrl.has(url)) this.byUrl.set(url, resource);
    if (typeof resource.version === 'string') {
      const versioned = `${url}|${resource.version}`;
      if (!this.byVersionedUrl.has(versioned)) this.byVersionedUrl.set(versioned, resource);
    }
  }
}
