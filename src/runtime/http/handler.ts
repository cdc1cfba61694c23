/**
 * The FHIR request handler of one version, independent of Express (STYLE.md point 9): a
 * `FhirRequest` in, a `FhirResponse` out, every error an OperationOutcome with the status of
 * https://hl7.org/fhir/R4/http.html#Status-Codes.
 */
import type { VersionBinding } from '../binding';
import type { ServiceContext } from '../contracts';
import { FhirHttpError } from '../outcome';
import type { ServiceMap } from '../service';
import { batchWrites, bundleType, processBundle } from './bundle';
import { capabilityStatement } from './capabilities';
import { guarded, type ResourceGuard } from './guard';
import { history } from './history';
import { patch, read, remove, update, vread } from './instance';
import { ReadWriteLock } from './lock';
import { checkAcceptable, parsePrefer } from './negotiation';
import { errorResponse } from './respond';
import { DEFAULT_RESULT_CACHE_BYTES, ResultCache } from './result-cache';
import { routeRequest } from './routes';
import { search } from './search';
import { basicSearchParser, type SearchParser } from './search-parser';
import type { AuthorizeHook, Call, HandlerSettings, TransactionControl } from './settings';
import { create, operation, validate } from './type-level';
import type { FhirRequest, FhirResponse } from './types';

export interface FhirHandlerOptions {
  binding: VersionBinding;
  services: ServiceMap;
  /** Parses search query strings; defaults to `basicSearchParser`. */
  searchParser?: SearchParser;
  /** Needed for transaction Bundles; the embedded store provides one. */
  transactions?: TransactionControl;
  /** Whether PUT of an unknown id creates it (https://hl7.org/fhir/R4/http.html#upsert). Default true. */
  updateCreate?: boolean;
  /** Run the validator over service results too (casting always happens). Default true. */
  validateResults?: boolean;
  /** Check the constraints (invariants) of incoming resources, when the binding has them. Default true. */
  invariants?: boolean;
  /** Properties of a result that the version does not define: 500 (`reject`, default) or left out (`drop`). */
  droppedProperties?: 'reject' | 'drop';
  /** Told what `drop` left out, and from which service. */
  onDropped?: (service: string, paths: string[]) => void;
  /** Told about search and history entries left out because they are invalid in this version. */
  onOmitted?: (reason: string) => void;
  /** Called for every interaction, batch and transaction entries included; throws to refuse. */
  authorize?: AuthorizeHook;
  /** Keeps what a caller sees and writes to what its token allows (patient compartments). */
  guard?: ResourceGuard;
  /** `rest.security` of the CapabilityStatement. */
  capabilitySecurity?: unknown;
  maxBundleEntries?: number;
  /** Named in the capability statement. */
  software?: string;
  /**
   * Memory for reusing the cast and validation of results read again unchanged (see `ResultCache`);
   * 0 turns it off. Default `DEFAULT_RESULT_CACHE_BYTES`.
   */
  resultCacheBytes?: number;
  /** Told of every unexpected error (the response itself says only "Internal server error"). */
  onError?: (error: unknown, request: FhirRequest) => void;
}

export interface FhirHandler {
  readonly binding: VersionBinding;
  handle(request: FhirRequest): Promise<FhirResponse>;
}

export function createFhirHandler(options: FhirHandlerOptions): FhirHandler {
  const cacheBytes = options.resultCacheBytes ?? DEFAULT_RESULT_CACHE_BYTES;
  const settings: HandlerSettings = {
    binding: options.binding,
    invariants: options.invariants ?? true,
    services: options.services,
    searchParser: options.searchParser ?? basicSearchParser,
    transactions: options.transactions,
    updateCreate: options.updateCreate ?? true,
    cast: {
      binding: options.binding,
      validateResults: options.validateResults ?? true,
      droppedProperties: options.droppedProperties ?? 'drop',
      ...(options.onDropped === undefined ? {} : { onDropped: options.onDropped }),
      ...(options.onOmitted === undefined ? {} : { onOmitted: options.onOmitted }),
      ...(cacheBytes > 0 ? { cache: new ResultCache(cacheBytes) } : {}),
    },
    authorize: options.authorize,
    guard: options.guard,
    capabilitySecurity: options.capabilitySecurity,
    maxBundleEntries: options.maxBundleEntries ?? 1000,
  };
  const software = options.software ?? 'fhirgen';
  const known = new Set(options.binding.resourceTypes.filter((type) => options.services[type] !== undefined));
  const isKnownType = (type: string) => known.has(type);
  // Unless the store keeps transactions apart itself (`inTransaction`), a transaction Bundle (or a
  // batch that writes) keeps every other request on the store out until it commits or rolls back.
  const control = options.transactions;
  const lock =
    control?.inTransaction !== undefined
      ? undefined
      : control === undefined
        ? new ReadWriteLock()
        : lockOf(control);
  const contentType = `${options.binding.mimeType}; charset=utf-8`;

  const dispatch = async (request: FhirRequest): Promise<FhirResponse> => {
    const route = routeRequest(request.method, request.path, isKnownType);
    if (route.interaction === 'bundle') route.interaction = bundleType(request.body);
    const ctx: ServiceContext = {
      requestId: request.requestId,
      baseUrl: request.baseUrl,
      version: options.binding.id,
    };
    if (request.principal !== undefined) ctx.principal = request.principal;
    const call: Call = { settings, request, route, prefer: parsePrefer(request.headers.prefer), ctx };
    if (settings.authorize !== undefined) {
      const info = { interaction: route.interaction, query: request.query } as Parameters<AuthorizeHook>[0];
      if (route.resourceType !== undefined) info.resourceType = route.resourceType;
      if (route.id !== undefined) info.id = route.id;
      if (route.operation !== undefined) info.operation = route.operation;
      await settings.authorize(info, request);
    }
    const guard = settings.guard;
    return guard === undefined || request.principal === undefined ? serve(call) : guarded(call, guard, serve);
  };

  const serve = (call: Call): Promise<FhirResponse> | FhirResponse => {
    const { request, route } = call;
    switch (route.interaction) {
      case 'capabilities':
        return { status: 200, headers: {}, body: capabilityStatement(settings, request.baseUrl, software) };
      case 'read':
        return read(call);
      case 'vread':
        return vread(call);
      case 'update':
        return update(call);
      case 'patch':
        return patch(call);
      case 'delete':
        return remove(call);
      case 'history-instance':
      case 'history-type':
      case 'history-system':
        return history(call);
      case 'create':
        return create(call);
      case 'search-type':
        return search(call);
      case 'validate':
        return validate(call);
      case 'operation':
        return operation(call);
      case 'batch':
      case 'transaction':
      case 'bundle':
        return processBundle(call, (entry) => dispatch(entry).catch(errorResponseFor(entry)));
    }
  };

  const errorResponseFor = (request: FhirRequest) => (error: unknown) => {
    if (!(error instanceof FhirHttpError)) options.onError?.(error, request);
    return errorResponse(error);
  };

  return {
    binding: options.binding,
    async handle(request) {
      let response: FhirResponse;
      try {
        checkAcceptable(request.query, request.headers.accept);
        const isTransaction =
          request.method === 'POST' &&
          (request.path === '' || request.path === '/') &&
          runsInTransaction(request.body);
        if (lock === undefined) response = await dispatch(request);
        else if (isTransaction) response = await lock.exclusive(() => dispatch(request));
        else response = await lock.shared(() => dispatch(request));
      } catch (error) {
        response = errorResponseFor(request)(error);
      }
      if (response.body !== undefined) response.headers['Content-Type'] = contentType;
      return response;
    },
  };
}

/**
 * One lock per transaction control (that is, per store), shared by the handlers of every version
 * using it: a transaction on `/r4` must keep `/stu3` requests on the same store out as well.
 */
const locks = new WeakMap<TransactionControl, ReadWriteLock>();

function lockOf(control: TransactionControl): ReadWriteLock {
  let lock = locks.get(control);
  if (lock === undefined) {
    lock = new ReadWriteLock();
    locks.set(control, lock);
  }
  return lock;
}

/** A transaction, or a batch that writes: both run in one store transaction (bundle.ts). */
function runsInTransaction(body: unknown): boolean {
  const type = (body as { type?: unknown } | undefined)?.type;
  return type === 'transaction' || (type === 'batch' && batchWrites(body));
}
