/**
 * Putting a generated server together: the store, one FHIR handler per enabled version, the Express
 * app, and the listener. A generated project's `src/server.ts` calls `startServer` with its config,
 * its bindings and its services; tests and benchmarks call `buildServer` and listen themselves.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, RequestHandler } from 'express';
import pino, { type Logger } from 'pino';
import type { VersionBinding } from './binding';
import type { ServerConfig } from './config';
import { createFhirApp } from './express/adapter';
import type { ResourceGuard } from './http/guard';
import { createFhirHandler } from './http/handler';
import type { SearchParser } from './http/search-parser';
import type { AuthorizeHook } from './http/settings';
import type { ServiceMap } from './service';
import { createStore, type StoreHooks } from './store/create-store';
import type { ResourceStore } from './store/types';

export interface VersionSetup {
  binding: VersionBinding;
  /** The version's services; generated projects pass their `src/services/<version>/` files here. */
  services: (store: ResourceStore) => ServiceMap;
  searchParser?: SearchParser;
}

export interface ServerOptions {
  config: ServerConfig;
  /** Every version the project was generated for, by id; only `config.versions` are mounted. */
  versions: Record<string, VersionSetup>;
  logger?: Logger;
  /** Express middleware run before every FHIR route (the security module's authentication). */
  middleware?: RequestHandler[];
  /** Called for every interaction, batch and transaction entries included (the security module's scopes). */
  authorize?: AuthorizeHook;
  /** Per version: what a caller may see and write within an allowed interaction (patient compartments). */
  guard?: (binding: VersionBinding) => ResourceGuard;
  /** Per version: the CapabilityStatement's `rest.security` section. */
  capabilitySecurity?: (binding: VersionBinding) => unknown;
  /** The search module's indexer and engine for the store `config.store` names. */
  store?: StoreHooks;
}

export interface BuiltServer {
  app: Express;
  store: ResourceStore;
  logger: Logger;
}

export function buildServer(options: ServerOptions): BuiltServer {
  const { config } = options;
  const logger = options.logger ?? defaultLogger(config.logLevel);
  const store = createStore(config.store, options.store);
  const mounted = config.versions.map((id) => {
    const setup = options.versions[id];
    const basePath = config.basePaths[id];
    if (setup === undefined || basePath === undefined)
      throw new Error(`No binding or base path for FHIR version ${id}`);
    // Parses every invariant expression of the version now, rather than on the first write.
    if (config.invariants) setup.binding.invariants?.({ resourceType: 'Parameters' });
    const handler = createFhirHandler({
      binding: setup.binding,
      services: setup.services(store),
      transactions: store,
      updateCreate: config.updateCreate,
      validateResults: config.validateResults,
      invariants: config.invariants,
      droppedProperties: config.droppedProperties,
      onDropped: (service, paths) => logger.warn({ service, dropped: paths }, 'result properties dropped'),
      onOmitted: (reason) => logger.warn({ reason }, 'bundle entry left out'),
      ...(setup.searchParser === undefined ? {} : { searchParser: setup.searchParser }),
      ...(options.authorize === undefined ? {} : { authorize: options.authorize }),
      ...(options.guard === undefined ? {} : { guard: options.guard(setup.binding) }),
      ...(options.capabilitySecurity === undefined
        ? {}
        : { capabilitySecurity: options.capabilitySecurity(setup.binding) }),
      onError: (error, request) => logger.error({ err: error, reqId: request.requestId }, 'service failed'),
    });
    return { basePath, handler };
  });
  const app = createFhirApp({
    versions: mounted,
    limits: { maxBytes: config.bodyLimit, maxDepth: config.maxDepth },
    logger,
    ...(options.middleware === undefined ? {} : { middleware: options.middleware }),
    ...(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
  });
  return { app, store, logger };
}

/**
 * pino to stdout through an asynchronous destination: a synchronous write per request line costs a
 * system call on the request's path. pino flushes what is buffered when the process exits
 * (https://github.com/pinojs/pino/blob/main/docs/asynchronous.md).
 */
export function defaultLogger(level: string): Logger {
  return pino({ level }, pino.destination({ dest: 1, sync: false }));
}

export interface RunningServer extends BuiltServer {
  server: Server;
  /** `http://host:port`, the port being the one actually bound (config port 0 picks a free one). */
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const built = buildServer(options);
  const server = built.app.listen(options.config.port, options.config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.config.host}:${port}`;
  for (const id of options.config.versions)
    built.logger.info(`FHIR ${id} at ${url}${options.config.basePaths[id]}`);
  return {
    ...built,
    server,
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.store.close();
    },
  };
}
