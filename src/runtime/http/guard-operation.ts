/**
 * What a caller may see of a custom operation's answer ($everything and the like): a service builds
 * it, so every resource in it is checked as a read of its own type, the way search matches are. A
 * FHIR server may leave out what the caller is not allowed to see
 * (https://hl7.org/fhir/R4/security.html#AccessDenied); what can be left out without changing the
 * meaning of the rest is left out and reported, and what cannot is refused whole:
 *
 * - a `searchset` or `collection` Bundle loses the entries the caller may not see and gains a warning
 *   OperationOutcome with the issue type `suppressed` ("not returned due to ... access permission
 *   constraints", https://hl7.org/fhir/R4/codesystem-issue-type.html), in a searchset as an entry
 *   with `search.mode` `outcome` (https://hl7.org/fhir/R4/search.html#errors);
 * - a `history` Bundle loses them silently, as the history interaction does (an entry without a
 *   `request` is not allowed there);
 * - a document, message, batch or transaction Bundle or their responses, whose entries make one whole
 *   (a document may be signed: https://hl7.org/fhir/R4/bundle.html#document), a `Parameters` result
 *   with such a resource in it, and any other resource the caller may not see are refused (403).
 *
 * An OperationOutcome is the server's own message about the request and is passed as it is.
 */
import type { ResourceJson } from '../binding';

export interface BundleEntryJson {
  fullUrl?: string;
  resource?: unknown;
  search?: { mode?: string };
}

export interface OperationScreen {
  /** The resource an entry stands for: its resource, or the type and id of its fullUrl. */
  resourceOf(entry: BundleEntryJson): ResourceJson | undefined;
  /** Whether the caller may read this resource. */
  sees(resource: ResourceJson): boolean;
}

/** The body to answer with, or what is refused (`Observation/o2`, `an entry of the document Bundle`). */
export type OperationVerdict = { body: ResourceJson } | { refused: string };

const DROPPABLE = new Set(['searchset', 'collection', 'history']);

export function screenOperationResult(result: ResourceJson, screen: OperationScreen): OperationVerdict {
  if (result.resourceType === 'OperationOutcome') return { body: result };
  if (result.resourceType === 'Bundle') return screenBundle(result, screen);
  if (result.resourceType === 'Parameters') {
    const hidden = parameterResources(result.parameter).find((resource) => !seen(resource, screen));
    return hidden === undefined ? { body: result } : { refused: `${nameOf(hidden)} in the Parameters` };
  }
  return screen.sees(result) ? { body: result } : { refused: nameOf(result) };
}

function screenBundle(bundle: ResourceJson, screen: OperationScreen): OperationVerdict {
  const type = typeof bundle.type === 'string' ? bundle.type : 'unknown';
  const entries = Array.isArray(bundle.entry) ? (bundle.entry as BundleEntryJson[]) : [];
  const kept = entries.filter((entry) => {
    if (entry.search?.mode === 'outcome') return true;
    const resource = screen.resourceOf(entry);
    return resource === undefined || seen(resource, screen);
  });
  const hidden = entries.length - kept.length;
  if (hidden === 0) return { body: bundle };
  if (!DROPPABLE.has(type)) return { refused: `an entry of the ${type} Bundle` };
  const body: ResourceJson = { ...bundle };
  // A total would count what was left out.
  delete body.total;
  if (type !== 'history') {
    const outcome = suppressed(hidden);
    kept.push(
      type === 'searchset' ? { resource: outcome, search: { mode: 'outcome' } } : { resource: outcome },
    );
  }
  if (kept.length > 0) body.entry = kept;
  else delete body.entry;
  return { body };
}

/** A resource inside a result: an OperationOutcome is a message, anything else is data to check. */
function seen(resource: ResourceJson, screen: OperationScreen): boolean {
  return resource.resourceType === 'OperationOutcome' || screen.sees(resource);
}

/** The resources of `Parameters.parameter[].resource`, parts included. */
function parameterResources(parameters: unknown): ResourceJson[] {
  if (!Array.isArray(parameters)) return [];
  return parameters.flatMap((parameter: { resource?: unknown; part?: unknown } | null) => {
    if (parameter === null || typeof parameter !== 'object') return [];
    const own = isResource(parameter.resource) ? [parameter.resource] : [];
    return [...own, ...parameterResources(parameter.part)];
  });
}

function suppressed(count: number): ResourceJson {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'warning',
        code: 'suppressed',
        diagnostics: `${count} ${count === 1 ? 'entry is' : 'entries are'} left out: outside what the token may read (its scopes or its patient compartment)`,
      },
    ],
  };
}

function nameOf(resource: ResourceJson): string {
  return typeof resource.id === 'string'
    ? `${resource.resourceType}/${resource.id}`
    : `a ${resource.resourceType}`;
}

function isResource(value: unknown): value is ResourceJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { resourceType?: unknown }).resourceType === 'string'
  );
}
