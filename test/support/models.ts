/**
 * The IR of each core FHIR version, built once per test run from the packages in `../shared/fhir`
 * (read straight from their archives: no registry or cache needed). Shared objects: do not modify them.
 */
import path from 'node:path';
import { readPackageArchive } from '../../src/definitions/package';
import { buildModel, type FhirModel, type FhirVersionId } from '../../src/ir';

export const SHARED_FHIR_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'fhir');

/** The core package archive of each version, as `../shared/fhir/README.md` lists them. */
export const CORE_ARCHIVES: Readonly<Record<FhirVersionId, string>> = {
  dstu2: 'hl7.fhir.core-1.0.2.tgz',
  stu3: 'hl7.fhir.core-3.0.1.tgz',
  r4: 'hl7.fhir.r4.core-4.0.1.tgz',
};

const models = new Map<FhirVersionId, Promise<FhirModel>>();

/** The model of one version, memoized for the whole mocha run. */
export function loadModel(versionId: FhirVersionId): Promise<FhirModel> {
  let model = models.get(versionId);
  if (!model) {
    model = readPackageArchive(path.join(SHARED_FHIR_DIR, CORE_ARCHIVES[versionId])).then((pkg) =>
      buildModel([pkg], versionId),
    );
    // A failed build is not remembered, so that a later test sees the real error again.
    model.catch(() => models.delete(versionId));
    models.set(versionId, model);
  }
  return model;
}
