/**
 * What every store decides alike when it writes (https://hl7.org/fhir/R4/http.html): `If-Match`
 * versions, whether an update may create, the next version number, and the stored form's `meta`.
 */
import type { ResourceJson } from '../binding';
import { FhirHttpError } from '../outcome';
import type { UpdateOptions } from '../service';

/** The current version of a resource, as a store reads it before writing (`deleted` 1 for a tombstone). */
export interface HeadRow {
  version_id: number;
  deleted: number;
}

/** `If-Match` (https://hl7.org/fhir/R4/http.html#concurrency): 412 unless the current version is the one named. */
export function checkVersion(
  resourceType: string,
  id: string,
  row: HeadRow | undefined,
  ifMatch?: string,
): void {
  if (ifMatch === undefined) return;
  if (row === undefined || row.deleted === 1 || String(row.version_id) !== ifMatch) {
    const current = row === undefined ? 'none' : String(row.version_id);
    throw new FhirHttpError(
      412,
      `${resourceType}/${id}: If-Match asks for version ${ifMatch}, current version is ${current}`,
    );
  }
}

/** The version an update writes: checks `If-Match`, and refuses to create by update unless allowed (405). */
export function nextVersion(
  resourceType: string,
  id: string,
  row: HeadRow | undefined,
  options: UpdateOptions,
): number {
  checkVersion(resourceType, id, row, options.ifMatch);
  if (row === undefined && !options.allowCreate) {
    throw new FhirHttpError(
      405,
      `${resourceType}/${id} is not known and this server does not create resources by update`,
    );
  }
  return row === undefined ? 1 : row.version_id + 1;
}

/** The resource as stored: type, id and `meta` (with version and instant) first, then the rest. */
export function withMeta(
  resourceType: string,
  id: string,
  versionId: number,
  lastUpdated: string,
  resource: ResourceJson,
): ResourceJson {
  const { resourceType: _type, id: _id, meta, ...rest } = resource;
  return { resourceType, id, meta: { ...meta, versionId: String(versionId), lastUpdated }, ...rest };
}

/** Prototypes of the store classes whose `create` and `update` answer with `withMeta`'s copy. */
const STAMPING_STORES = new WeakSet<object>();

/** Called once by each store class whose writes answer with `withMeta`'s copy and nothing else. */
export function stampsCopies(prototype: object): void {
  STAMPING_STORES.add(prototype);
}

/**
 * Whether `store`'s `create` and `update` answer with `withMeta`'s copy of the resource given: an
 * instance of such a class itself (not a subclass), its write methods not replaced on the instance.
 */
export function writesStampedCopies(store: object): boolean {
  return (
    STAMPING_STORES.has(Object.getPrototypeOf(store)) &&
    !Object.hasOwn(store, 'create') &&
    !Object.hasOwn(store, 'update')
  );
}
