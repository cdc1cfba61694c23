/**
 * Every service result is cast to the route version's class before it is sent: a result that is not
 * a resource of the expected type, or that the cast or validator finds wrong, is a 500 naming the
 * service (the client cannot fix it; the server's code must be).
 */
import type { ResourceJson, VersionBinding } from '../binding';
import { FhirHttpError, issue } from '../outcome';
import { JsonText } from './json-text';
import type { ResultCache } from './result-cache';

export interface CastResource {
  /** What to send: the version's canonical JSON, serialised once. */
  resource: JsonText;
  json: ResourceJson;
}

export interface CastSettings {
  binding: VersionBinding;
  /** Also run the version's validator over results (on by default). */
  validateResults: boolean;
  /**
   * What to do when the cast leaves properties out (the version does not define them): `reject`
   * answers 500 naming the service; `drop` serves the version's form, reporting what was dropped
   * through `onDropped` (for JSON stored through another version's endpoint, e.g. STU3's
   * `Patient.animal` read on R4).
   */
  droppedProperties: 'reject' | 'drop';
  onDropped?: (service: string, paths: string[]) => void;
  /** Told about Bundle entries left out because they are invalid in this version (see `castEntry`). */
  onOmitted?: (reason: string) => void;
  /** Results of reads already cast and validated, reused when a service returns exactly the same JSON. */
  cache?: ResultCache;
}

/**
 * Whether a result may come from, and go to, the cache: reads, not the answers of writes.
 * `stored-write` is the answer of `storeService`'s own create or update (see `writeCastUse`): cast
 * and serialised as any other, but not validated again unless the cast left properties out.
 */
export type CastUse = 'read' | 'write' | 'stored-write';

/** `service` names the culprit in the error, e.g. `R4 Patient service (read)`. */
export function castResult(
  settings: CastSettings,
  value: unknown,
  expectedType: string | undefined,
  service: string,
  use: CastUse = 'write',
): CastResource {
  const json = toJson(value);
  if (json === undefined) throw serviceError(service, 'returned something that is not a FHIR resource');
  if (expectedType !== undefined && json.resourceType !== expectedType) {
    throw serviceError(
      service,
      `returned a ${String(json.resourceType)} where a ${expectedType} was expected`,
    );
  }
  const cache = use === 'read' ? settings.cache : undefined;
  const known = cache?.get(json);
  if (known !== undefined) return { resource: known, json };
  let cast: ReturnType<VersionBinding['cast']>;
  try {
    cast = settings.binding.cast(json);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw serviceError(
      service,
      `returned a resource that cannot be cast to ${settings.binding.label}: ${reason}`,
    );
  }
  let checked = json;
  const text = new JsonText(JSON.stringify(cast.resource));
  if (cast.dropped.length > 0) {
    if (settings.droppedProperties === 'reject') {
      throw serviceError(
        service,
        `returned properties that ${settings.binding.label} does not define: ${cast.dropped.join(', ')}`,
      );
    }
    settings.onDropped?.(service, cast.dropped);
    checked = JSON.parse(text.text) as ResourceJson;
  }
  if (settings.validateResults && (use !== 'stored-write' || cast.dropped.length > 0)) {
    const errors = settings.binding
      .validate(checked)
      .filter((entry) => entry.severity === 'error' || entry.severity === 'fatal');
    if (errors.length > 0) {
      const detail = errors.map((entry) => entry.diagnostics ?? entry.code).join('; ');
      throw new InvalidResultError(service, `returned an invalid ${json.resourceType}: ${detail}`);
    }
  }
  // A result whose cast dropped properties is not kept: each read must report what was dropped.
  if (cache !== undefined && cast.dropped.length === 0) cache.set(json, text);
  return { resource: text, json: checked };
}

function toJson(value: unknown): ResourceJson | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Class instances (with toJSON or a prototype of their own) become the JSON they serialise to.
  const plain = Object.getPrototypeOf(value) === Object.prototype ? value : JSON.parse(JSON.stringify(value));
  if (
    typeof plain !== 'object' ||
    plain === null ||
    typeof (plain as ResourceJson).resourceType !== 'string'
  ) {
    return undefined;
  }
  return plain as ResourceJson;
}

/**
 * A result that casts but does not validate against the route's version: a bug in a service, or a
 * resource stored through another version's endpoint (STU3's Encounter without R4's required class).
 */
export class InvalidResultError extends FhirHttpError {
  readonly service: string;
  readonly detail: string;
  constructor(service: string, detail: string) {
    super(500, [issue('error', 'exception', `${service} ${detail}`)]);
    this.service = service;
    this.detail = detail;
  }
}

/**
 * For entries of search and history Bundles: a resource that is invalid in the route's version is left
 * out (and reported through `onOmitted`) rather than failing the whole Bundle; other problems, such as a
 * result of the wrong type, still fail it.
 */
export function castEntry(
  settings: CastSettings,
  value: unknown,
  expectedType: string | undefined,
  service: string,
  onOmitted: (reason: string) => void = () => {},
): CastResource | undefined {
  try {
    return castResult(settings, value, expectedType, service, 'read');
  } catch (error) {
    if (!(error instanceof InvalidResultError)) throw error;
    const reason = `${error.service} ${error.detail}`;
    settings.onOmitted?.(reason);
    onOmitted(reason);
    return undefined;
  }
}

function serviceError(service: string, message: string): FhirHttpError {
  return new FhirHttpError(500, [issue('error', 'exception', `${service} ${message}`)]);
}
