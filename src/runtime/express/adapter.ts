/**
 * The thin Express layer over the FHIR handlers: mounts each version at its base path, reads bodies
 * safely, gives every request an id (`X-Request-Id`, echoed or generated), logs one line per request
 * with its status and duration, and writes the handler's response. No compression: it costs
 * throughput and FHIR clients rarely need it on a LAN (a proxy can add it).
 *
 * Seams for the security module: `middleware` runs before the FHIR handler of every version (an
 * authentication middleware goes here and puts the caller on `res.locals.principal`), and the
 * handler's `authorize` hook sees every interaction, batch and transaction entries included.
 */
import { randomUUID } from 'node:crypto';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Logger } from 'pino';
import type { Principal } from '../contracts';
import type { FhirHandler } from '../http/handler';
import { bodyText } from '../http/json-text';
import { errorResponse } from '../http/respond';
import type { FhirRequest, FhirResponse } from '../http/types';
import { FhirHttpError } from '../outcome';
import { type BodyLimits, readBody } from './body';

export interface MountedVersion {
  /** `/r4`, `/4_0_1`, ... */
  basePath: string;
  handler: FhirHandler;
  /** Runs before this version's FHIR handler only, after the app-wide `middleware`. */
  middleware?: RequestHandler[];
}

export interface FhirAppOptions {
  versions: MountedVersion[];
  limits: BodyLimits;
  logger?: Logger;
  /** Runs before the FHIR handler of every version, in order (security, rate limits ...). */
  middleware?: RequestHandler[];
  /** The absolute URL clients use (behind a proxy); otherwise taken from the request's protocol and Host. */
  publicUrl?: string;
}

const REQUEST_ID = /^[A-Za-z0-9\-_.:]{1,128}$/;

export function createFhirApp(options: FhirAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(requestIdAndLog(options.logger));
  for (const middleware of options.middleware ?? []) app.use(middleware);
  for (const version of options.versions) {
    const route = fhirRoute(version, options);
    // Express mounts a version with middleware of its own, which may expect the path below the base
    // in `req.url`; one without is matched by prefix, which spares each request the router's path
    // matching and URL rewriting (server CPU per read by id: 180 against 193 us, bench/server.bench.ts).
    // As with Express's mount, a base takes itself, its query and the paths below it, nothing longer,
    // in any letter case.
    if (version.middleware !== undefined && version.middleware.length > 0) {
      app.use(version.basePath, ...version.middleware, (req, res) => route(req, res, req.url));
    } else app.use(byPrefix(version.basePath, route));
  }
  app.use((req: Request, res: Response) => {
    const error = new FhirHttpError(404, `No FHIR endpoint at ${req.path}`);
    send(res, errorResponse(error), mimeFor(options.versions, req.originalUrl));
  });
  // Express calls this for errors thrown by middleware; the answer stays an OperationOutcome.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = error instanceof FhirHttpError;
    if (!known) options.logger?.error({ err: error, reqId: res.locals.requestId }, 'middleware failed');
    send(
      res,
      errorResponse(known ? error : new Error('internal')),
      mimeFor(options.versions, req.originalUrl),
    );
  });
  return app;
}

/** The JSON media type of the version a URL falls under (DSTU2's differs), for errors outside the handlers. */
function mimeFor(versions: MountedVersion[], url: string): string {
  const path = url.split('?')[0] ?? '';
  const version = versions.find(({ basePath }) => path === basePath || path.startsWith(`${basePath}/`));
  return version?.handler.binding.mimeType ?? 'application/fhir+json';
}

/** Hands requests under `basePath` to `route` with the URL below it; passes the others on. */
function byPrefix(path: string, route: FhirRoute): RequestHandler {
  const basePath = path.replace(/\/+$/, '');
  const lower = basePath.toLowerCase();
  return (req, res, next) => {
    const url = req.url;
    const head = url.slice(0, basePath.length);
    if (head !== basePath && head.toLowerCase() !== lower) return next();
    const rest = url.slice(basePath.length);
    if (rest === '' || rest[0] === '?') return route(req, res, `/${rest}`);
    if (rest[0] === '/') return route(req, res, rest);
    next();
  };
}

/** Answers one request of a version; `url` is the request's path and query below the version's base. */
type FhirRoute = (req: Request, res: Response, url: string) => Promise<void>;

function fhirRoute(version: MountedVersion, options: FhirAppOptions): FhirRoute {
  const binding = version.handler.binding;
  const jsonTypes = new Set(['application/json', 'application/fhir+json', binding.mimeType]);
  return async (req, res, url) => {
    const mime = binding.mimeType;
    let response: FhirResponse;
    try {
      const body = await readBody(req, jsonTypes, options.limits);
      const request = toFhirRequest(req, res, url, version.basePath, options.publicUrl);
      if (body.kind === 'json') request.body = body.value;
      if (body.kind === 'form') request.form = body.value;
      response = await version.handler.handle(request);
    } catch (error) {
      if (!(error instanceof FhirHttpError))
        options.logger?.error({ err: error, reqId: res.locals.requestId }, 'request failed');
      response = errorResponse(error);
    }
    send(res, response, mime);
  };
}

function toFhirRequest(
  req: Request,
  res: Response,
  url: string,
  basePath: string,
  publicUrl?: string,
): FhirRequest {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const query = queryStart === -1 ? [] : [...new URLSearchParams(url.slice(queryStart + 1))];
  const origin = publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const request: FhirRequest = {
    method: req.method,
    path,
    query,
    headers: req.headers as Record<string, string | undefined>,
    baseUrl: `${origin.replace(/\/+$/, '')}${basePath}`,
    requestId: res.locals.requestId as string,
  };
  const principal = res.locals.principal as Principal | undefined;
  if (principal !== undefined) request.principal = principal;
  return request;
}

/**
 * Writes the handler's response in one go: headers through one `writeHead`, the body as one string
 * with its `Content-Length`, so that Node sends head and body in a single write instead of the
 * several writes of chunked encoding (RFC 9112 §7.1).
 */
function send(res: Response, response: FhirResponse, mime: string): void {
  if (res.headersSent) return;
  const headers = response.headers;
  if (response.body === undefined) {
    // Through `end()` alone Node writes `Content-Length: 0` where a body is allowed (201, 200).
    res.statusCode = response.status;
    for (const name in headers) res.setHeader(name, headers[name] as string);
    res.end();
    return;
  }
  const text = bodyText(response.body);
  if (headers['Content-Type'] === undefined && !res.hasHeader('Content-Type'))
    res.setHeader('Content-Type', `${mime}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.writeHead(response.status, headers);
  res.end(text);
}

/** `X-Request-Id` echoed when the client's is sane, generated otherwise; one log line per request. */
function requestIdAndLog(logger: Logger | undefined): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // The level is asked per request (it can change at run time); below `info` the line would be dropped.
    if (logger?.isLevelEnabled('info') === true) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info(
          {
            reqId: requestId,
            method: req.method,
            url: req.originalUrl,
            status: res.statusCode,
            ms: Math.round(ms * 100) / 100,
          },
          'request',
        );
      });
    }
    next();
  };
}
