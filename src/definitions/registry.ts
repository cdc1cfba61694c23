import { FhirgenError } from '../errors';
import { equivalentNames } from './aliases';
import { downloadFile, getJson, type HttpOptions } from './http';
import type { ExpectedDigests } from './integrity';
import type { PackageId } from './types';

/** The parts of an npm-style package document fhirgen reads (npm registry API, "GET /{package}"). */
interface PackageDocument {
  versions?: Record<string, { dist?: { tarball?: string; shasum?: string; integrity?: string } } | undefined>;
}

export interface Download {
  /** Where the archive came from. */
  url: string;
  /** The checksums the registry's package document gives for it, if any. */
  expected: ExpectedDigests;
}

/**
 * Downloads a package archive into `file`. For each name of the package, the npm-style document
 * `<registry>/<name>` is asked first (it names the tarball and its checksums); without one,
 * `<registry>/<name>/<version>`, which the FHIR package registry answers with the tarball itself.
 */
export async function downloadPackage(
  registry: string,
  id: PackageId,
  file: string,
  http: HttpOptions,
): Promise<Download> {
  const base = registry.replace(/\/+$/, '');
  const label = `${id.name}@${id.version}`;
  for (const name of equivalentNames(id)) {
    const documentUrl = `${base}/${encodeURIComponent(name)}`;
    const document = (await getJson(documentUrl, http)) as PackageDocument | undefined;
    const dist = document?.versions?.[id.version]?.dist;
    const url = dist?.tarball
      ? tarballUrl(dist.tarball, documentUrl)
      : `${documentUrl}/${encodeURIComponent(id.version)}`;
    if (await downloadFile(url, file, label, http)) {
      return { url, expected: { shasum: dist?.shasum, integrity: dist?.integrity } };
    }
  }
  throw new FhirgenError('PACKAGE_NOT_FOUND', `package ${label} is not in the registry`, {
    location: base,
    hint: 'check the package name and version, or point --registry (or FHIRGEN_REGISTRY) at another registry',
  });
}

/** The document's tarball URL, relative ones resolved; only http(s) is fetched. */
function tarballUrl(tarball: string, documentUrl: string): string {
  const url = new URL(tarball, documentUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FhirgenError('REGISTRY_ERROR', `the registry names a tarball that is not http(s): ${tarball}`, {
      location: documentUrl,
      hint: 'check --registry (or FHIRGEN_REGISTRY)',
    });
  }
  return url.href;
}
