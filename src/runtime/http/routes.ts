/**
 * Maps a request's method and path (below the version's base) to a FHIR interaction, following the
 * URL patterns of https://hl7.org/fhir/R4/http.html#summary. Paths that do not name a served resource
 * type are 404; a known path with a method it does not take is 405.
 */
import { FhirHttpError } from '../outcome';

export type Interaction =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'create'
  | 'search-type'
  | 'capabilities'
  | 'batch'
  | 'transaction'
  | 'validate'
  | 'operation';

export interface Route {
  /** `batch` and `transaction` are told apart by the Bundle's type, after routing. */
  interaction: Interaction | 'bundle';
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** For `operation` and `validate`: the name without `$`. */
  operation?: string;
}

/** Logical ids: https://hl7.org/fhir/R4/datatypes.html#id */
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

const INSTANCE: Record<string, Omit<Route, 'resourceType'>> = {
  GET: { interaction: 'read' },
  PUT: { interaction: 'update' },
  PATCH: { interaction: 'patch' },
  DELETE: { interaction: 'delete' },
};

export function routeRequest(method: string, path: string, isKnownType: (type: string) => boolean): Route {
  const segments = path.split('/').filter((segment) => segment !== '');
  const decoded = segments.map(decodeSegment);
  const [first, second, third, fourth] = decoded;
  if (decoded.length > 4) throw new FhirHttpError(404, `No FHIR endpoint at ${path}`);
  if (first === undefined) return pick(method, { POST: { interaction: 'bundle' } }, path);
  if (first === 'metadata' && second === undefined) {
    return pick(method, { GET: { interaction: 'capabilities' } }, path);
  }
  if (first === '_history' && second === undefined) {
    return pick(method, { GET: { interaction: 'history-system' } }, path);
  }
  if (!isKnownType(first)) throw new FhirHttpError(404, `This server does not serve resource type ${first}`);
  const resourceType = first;
  if (second === undefined) {
    return pick(
      method,
      { GET: { interaction: 'search-type' }, POST: { interaction: 'create' } },
      path,
      resourceType,
    );
  }
  if (second === '_search' && third === undefined) {
    return pick(method, { POST: { interaction: 'search-type' } }, path, resourceType);
  }
  if (second === '_history' && third === undefined) {
    return pick(method, { GET: { interaction: 'history-type' } }, path, resourceType);
  }
  if (second.startsWith('$') && third === undefined)
    return operationRoute(method, path, resourceType, second);
  const id = checkId(second);
  if (third === undefined) return { ...pick(method, INSTANCE, path, resourceType), id };
  if (third.startsWith('$') && fourth === undefined) {
    return { ...operationRoute(method, path, resourceType, third), id };
  }
  if (third === '_history') {
    if (fourth === undefined)
      return { ...pick(method, { GET: { interaction: 'history-instance' } }, path, resourceType), id };
    return {
      ...pick(method, { GET: { interaction: 'vread' } }, path, resourceType),
      id,
      versionId: checkId(fourth),
    };
  }
  throw new FhirHttpError(404, `No FHIR endpoint at ${path}`);
}

/** Which methods a route takes, for the `Allow` header of a 405 (RFC 9110 §15.5.6). */
function pick(
  method: string,
  table: Record<string, Omit<Route, 'resourceType'>>,
  path: string,
  resourceType?: string,
): Route {
  const route = table[method];
  if (route === undefined) {
    const allowed = Object.keys(table).join(', ');
    throw new FhirHttpError(405, `${method} is not allowed on ${path}; allowed: ${allowed}`, {
      Allow: allowed,
    });
  }
  return resourceType === undefined ? { ...route } : { ...route, resourceType };
}

function operationRoute(method: string, path: string, resourceType: string, segment: string): Route {
  const operation = segment.slice(1);
  if (!/^[A-Za-z][A-Za-z0-9\-_]*$/.test(operation)) throw new FhirHttpError(404, `No operation ${segment}`);
  const interaction = operation === 'validate' ? 'validate' : 'operation';
  return pick(
    method,
    { GET: { interaction, operation }, POST: { interaction, operation } },
    path,
    resourceType,
  );
}

function checkId(id: string): string {
  if (!ID.test(id)) throw new FhirHttpError(400, `"${id}" is not a valid FHIR id`);
  return id;
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new FhirHttpError(400, 'The request path is not valid percent-encoding');
  }
}
