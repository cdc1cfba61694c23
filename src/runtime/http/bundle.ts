/**
 * Batch and transaction Bundles posted to the base (https://hl7.org/fhir/R4/http.html#transaction).
 * Each entry is dispatched as a request of its own through the same handlers (so it is validated,
 * authorized and cast like a direct request). A transaction runs its entries in FHIR's order
 * (DELETE, POST, PUT/PATCH, GET), inside one store transaction, with `urn:uuid:` references rewritten
 * to the ids assigned to the created entries; the first failing entry rolls everything back and its
 * error is the answer. A batch that writes runs its entries in their order inside one store
 * transaction too, so that a thousand entries cost one commit, but each entry succeeds or fails on its
 * own (https://hl7.org/fhir/R4/http.html#brules): the store keeps each write in a savepoint of its own.
 */
import { STATUS_CODES } from 'node:http';
import { FhirHttpError, operationOutcome } from '../outcome';
import { newResourceId } from '../store/resource-id';
import type { Call, TransactionControl } from './settings';
import type { FhirRequest, FhirResponse } from './types';

export type Dispatch = (request: FhirRequest) => Promise<FhirResponse>;

interface BundleEntry {
  fullUrl?: unknown;
  resource?: unknown;
  request?: { method?: unknown; url?: unknown; ifMatch?: unknown; ifNoneExist?: unknown };
}

const TRANSACTION_ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

export function bundleType(body: unknown): 'batch' | 'transaction' {
  const bundle = body as { resourceType?: unknown; type?: unknown } | undefined;
  if (bundle?.resourceType !== 'Bundle' || (bundle.type !== 'batch' && bundle.type !== 'transaction')) {
    throw new FhirHttpError(400, 'POST to the base takes a Bundle of type batch or transaction');
  }
  return bundle.type;
}

export async function processBundle(call: Call, dispatch: Dispatch): Promise<FhirResponse> {
  const kind = bundleType(call.request.body);
  const entries = entriesOf(call.request.body);
  if (entries.length > call.settings.maxBundleEntries) {
    throw new FhirHttpError(413, `A Bundle may hold at most ${call.settings.maxBundleEntries} entries`);
  }
  const responses =
    kind === 'batch'
      ? await runBatch(call, entries, dispatch)
      : await runTransaction(call, entries, dispatch);
  const body: Record<string, unknown> = { resourceType: 'Bundle', type: `${kind}-response` };
  if (responses.length > 0) body.entry = responses.map(responseEntry);
  return { status: 200, headers: {}, body };
}

function entriesOf(body: unknown): BundleEntry[] {
  const entry = (body as { entry?: unknown }).entry;
  if (entry === undefined) return [];
  if (!Array.isArray(entry)) throw new FhirHttpError(400, 'Bundle.entry must be an array');
  return entry.map((item, index) => {
    if (typeof item !== 'object' || item === null)
      throw new FhirHttpError(400, `Bundle.entry[${index}] is not an object`);
    return item as BundleEntry;
  });
}

async function runBatch(call: Call, entries: BundleEntry[], dispatch: Dispatch): Promise<FhirResponse[]> {
  const responses: FhirResponse[] = [];
  const run = async () => {
    for (const [index, entry] of entries.entries()) {
      try {
        responses.push(await dispatch(entryRequest(call, entry, index)));
      } catch (error) {
        if (!(error instanceof FhirHttpError)) throw error;
        responses.push({ status: error.status, headers: {}, body: operationOutcome(error.issues) });
      }
    }
  };
  const control = call.settings.transactions;
  if (control === undefined || !batchWrites(call.request.body)) await run();
  else await inOneTransaction(control, run);
  return responses;
}

/** Whether a batch has an entry that writes: a batch of reads needs no transaction. */
export function batchWrites(body: unknown): boolean {
  const entries = (body as { entry?: unknown }).entry;
  return (
    Array.isArray(entries) &&
    entries.some((entry) => {
      const method = (entry as BundleEntry | null)?.request?.method;
      return typeof method !== 'string' || !READS.has(method.toUpperCase());
    })
  );
}

const READS = new Set(['GET', 'HEAD']);

/** Runs `work` in one store transaction: committed when it resolves, rolled back when it throws. */
async function inOneTransaction(control: TransactionControl, work: () => Promise<void>): Promise<void> {
  if (control.inTransaction !== undefined) {
    await control.inTransaction(work);
    return;
  }
  await control.begin();
  try {
    await work();
  } catch (error) {
    await control.rollback();
    throw error;
  }
  await control.commit();
}

async function runTransaction(
  call: Call,
  entries: BundleEntry[],
  dispatch: Dispatch,
): Promise<FhirResponse[]> {
  const control = call.settings.transactions;
  if (control === undefined) throw new FhirHttpError(405, 'This server does not support transactions');
  const assigned = assignIds(entries);
  const requests = entries.map((entry, index) => {
    const request = entryRequest(call, rewriteReferences(entry, assigned.references), index);
    const id = assigned.ids.get(index);
    return id === undefined ? request : { ...request, assignedId: id };
  });
  const order = requests
    .map((request, index) => ({ request, index }))
    .sort((a, b) => (TRANSACTION_ORDER[a.request.method] ?? 4) - (TRANSACTION_ORDER[b.request.method] ?? 4));
  const responses: FhirResponse[] = new Array(requests.length);
  const run = async () => {
    for (const { request, index } of order) {
      const response = await dispatch(request);
      if (response.status >= 400) throw entryFailure(response, index);
      responses[index] = response;
    }
  };
  await inOneTransaction(control, run);
  return responses;
}

/** A failed entry fails the transaction with its own status and issues, naming the entry. */
function entryFailure(response: FhirResponse, index: number): FhirHttpError {
  const issues = (response.body as { issue?: FhirHttpError['issues'] } | undefined)?.issue ?? [];
  const named = issues.map((entry) => ({
    ...entry,
    diagnostics: `Bundle.entry[${index}]: ${entry.diagnostics ?? entry.code}`,
  }));
  // A refused entry refuses the transaction with the same challenge (RFC 6750 §3).
  const challenge = response.headers['WWW-Authenticate'];
  return new FhirHttpError(
    response.status,
    named.length > 0 ? named : `Bundle.entry[${index}] failed`,
    challenge === undefined ? {} : { 'WWW-Authenticate': challenge },
  );
}

/** Ids for the created entries, and the `urn:uuid:` fullUrls that now stand for them. */
function assignIds(entries: BundleEntry[]) {
  const ids = new Map<number, string>();
  const references = new Map<string, string>();
  entries.forEach((entry, index) => {
    const resource = entry.resource as { resourceType?: unknown } | undefined;
    if (entry.request?.method !== 'POST' || typeof resource?.resourceType !== 'string') return;
    const id = newResourceId();
    ids.set(index, id);
    if (typeof entry.fullUrl === 'string' && entry.fullUrl.startsWith('urn:uuid:')) {
      references.set(entry.fullUrl, `${resource.resourceType}/${id}`);
    }
  });
  return { ids, references };
}

/** Replaces every `reference` that names a created entry's fullUrl (https://hl7.org/fhir/R4/bundle.html#references). */
function rewriteReferences(entry: BundleEntry, references: Map<string, string>): BundleEntry {
  if (references.size === 0 || entry.resource === undefined) return entry;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      copy[key] =
        key === 'reference' && typeof inner === 'string' ? (references.get(inner) ?? inner) : rewrite(inner);
    }
    return copy;
  };
  return { ...entry, resource: rewrite(entry.resource) };
}

function entryRequest(call: Call, entry: BundleEntry, index: number): FhirRequest {
  const where = `Bundle.entry[${index}].request`;
  const method = entry.request?.method;
  const rawUrl = entry.request?.url;
  if (typeof method !== 'string' || typeof rawUrl !== 'string')
    throw new FhirHttpError(400, `${where} needs a method and a url`);
  const base = call.request.baseUrl;
  const relative = rawUrl.startsWith(`${base}/`) ? rawUrl.slice(base.length + 1) : rawUrl;
  if (/^[a-z]+:/i.test(relative)) throw new FhirHttpError(400, `${where}.url points outside this server`);
  const [pathPart = '', queryPart = ''] = relative.split('?', 2);
  const path = `/${pathPart.replace(/^\/+/, '')}`;
  if (path === '/')
    throw new FhirHttpError(400, `${where}: a Bundle cannot contain another batch or transaction`);
  const headers: Record<string, string | undefined> = { prefer: call.request.headers.prefer };
  if (typeof entry.request?.ifMatch === 'string') headers['if-match'] = entry.request.ifMatch;
  if (typeof entry.request?.ifNoneExist === 'string') headers['if-none-exist'] = entry.request.ifNoneExist;
  const request: FhirRequest = {
    method: method.toUpperCase(),
    path,
    query: [...new URLSearchParams(queryPart)],
    headers,
    baseUrl: base,
    requestId: `${call.request.requestId}/${index}`,
  };
  if (call.request.principal !== undefined) request.principal = call.request.principal;
  if (request.method === 'PATCH') {
    headers['content-type'] = 'application/json-patch+json';
    request.body = patchFromBinary(entry.resource, where);
  } else if (entry.resource !== undefined) request.body = entry.resource;
  return request;
}

/** In a Bundle, a JSON Patch travels as a Binary (https://hl7.org/fhir/R4/http.html#patch). */
function patchFromBinary(resource: unknown, where: string): unknown {
  const binary = resource as { resourceType?: unknown; contentType?: unknown; data?: unknown } | undefined;
  if (
    binary?.resourceType !== 'Binary' ||
    binary.contentType !== 'application/json-patch+json' ||
    typeof binary.data !== 'string'
  ) {
    throw new FhirHttpError(
      400,
      `${where}: PATCH needs a Binary resource holding application/json-patch+json`,
    );
  }
  try {
    return JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8'));
  } catch {
    throw new FhirHttpError(400, `${where}: the Binary's data is not a JSON Patch`);
  }
}

function responseEntry(response: FhirResponse): Record<string, unknown> {
  const status = `${response.status} ${STATUS_CODES[response.status] ?? ''}`.trim();
  const described: Record<string, unknown> = { status };
  if (response.headers.Location !== undefined) described.location = response.headers.Location;
  if (response.headers.ETag !== undefined) described.etag = response.headers.ETag;
  if (response.headers['Last-Modified'] !== undefined) {
    described.lastModified = new Date(response.headers['Last-Modified']).toISOString();
  }
  const isOutcome =
    (response.body as { resourceType?: unknown } | undefined)?.resourceType === 'OperationOutcome';
  if (response.status >= 400 && isOutcome) return { response: { ...described, outcome: response.body } };
  return response.body === undefined
    ? { response: described }
    : { resource: response.body, response: described };
}
