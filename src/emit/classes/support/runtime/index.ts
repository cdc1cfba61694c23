/**
 * The casting runtime shared by every generated class of one FHIR version (copied verbatim into
 * `generated/<version>/runtime/`). Each generated class carries a static field table (name,
 * cardinality, kind, class) that this code walks, so instances hold no closures and casting needs no
 * reflection beyond one table lookup.
 */
import type { CastReport, JsonObject } from './model';
import { castNew } from './read';
import { writeObject } from './write';

export {
  type CastErrorCode,
  type CastReport,
  comments,
  complex,
  type DroppedProperty,
  type DropReason,
  FhirCastError,
  type FhirClass,
  type FhirVersionInfo,
  type Field,
  type JsonObject,
  type JsonValue,
  type PrimitiveJsonType,
  primitive,
  type ResourceClass,
  type ResourceRegistry,
  type ResourceTable,
  resource,
  resourceTable,
  type TypeTable,
  typeTable,
} from './model';
export { castResource, resolveResource } from './read';

/** The base of every generated class: builds itself from JSON through its table, and writes canonical JSON. */
export abstract class FhirObject<J extends object = JsonObject> {
  constructor(json: J, report?: CastReport) {
    castNew(this, json, report);
  }

  /** Canonical FHIR JSON: elements in StructureDefinition order, nothing undefined, no empty arrays or objects. */
  toJSON(): J {
    return writeObject(this) as unknown as J;
  }
}
