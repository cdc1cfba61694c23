/**
 * Starting a generated project: its config file (`fhirgen.config.json`) overlaid by the environment,
 * its versions and services, the embedded store inside the project folder, and the security runtime
 * (on unless the config turns it off; see `security.ts`). `runServer` is what `npm start` calls;
 * `startProject` is the same without the process handling, for tests.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { ConfigError, loadConfig, type ServerConfig } from '../config';
import { useCursorKey } from '../search/result-params';
import type { ClientConfig } from '../security/config';
import { SecurityConfigError } from '../security/errors';
import type { Security } from '../security/index';
import { createRedirectServer, loadTlsCredentials } from '../security/transport';
import { buildServer, type RunningServer, type VersionSetup } from '../server';
import { loadCursorKey } from './cursor-key';
import { type Check, Health } from './health';
import { readSearchSettings, wireSearch } from './search';
import { type SecurityWiring, wireSecurity } from './security';
import { readSecuritySettings } from './security-config';
import { drain } from './shutdown';
import type { VersionModule } from './types';

export const CONFIG_FILE = 'fhirgen.config.json';

export interface ProjectOptions {
  /** The project folder: where the config file is, and what a relative store path is relative to. */
  projectDir: string;
  versions: VersionModule[];
  /** Environment variables; default `process.env`. Tests pass `{ PORT: '0', STORE: 'memory' }`. */
  env?: NodeJS.ProcessEnv;
  /** Clients added to the configured ones (tests register one with a secret they know). */
  clients?: ClientConfig[];
}

export type { RunningServer };

export interface RunningProject extends RunningServer {
  /** Start-up warnings (plain HTTP without a trusted proxy, security off, ...). */
  warnings: string[];
  /** The security runtime, absent when security is off. */
  security?: Security;
  /** The plain-HTTP listener that only redirects to HTTPS, when configured. */
  redirect?: { server: http.Server; url: string };
  /** `/health/live` and `/health/ready`; its phase is `ready` once started. */
  health: Health;
  /**
   * Graceful shutdown: not ready from now on, no new connections, requests in flight finish within
   * `graceMs` (then connections are cut), then the token store and the resource store are closed.
   * `close()` is the same with no grace period.
   */
  shutdown(graceMs: number): Promise<void>;
}

export function projectConfig(options: ProjectOptions): ServerConfig {
  const available = Object.fromEntries(
    options.versions.map((version) => [version.binding.id, version.basePath]),
  );
  const config = loadConfig({
    file: path.join(options.projectDir, CONFIG_FILE),
    env: options.env ?? process.env,
    available,
  });
  if (config.store.kind === 'sqlite') {
    config.store = { kind: 'sqlite', path: path.resolve(options.projectDir, config.store.path) };
  }
  return config;
}

/**
 * The generated versions this configuration serves. Only they are indexed and mounted: the index of a
 * version no route searches would cost every write for nothing (enabling it later reindexes at
 * start). Whatever else opens the store with its index (`npm run load`) indexes the same versions, so
 * that the server finds the index current.
 */
export function servedVersions(versions: VersionModule[], config: ServerConfig): VersionModule[] {
  return versions.filter((version) => config.versions.includes(version.binding.id));
}

export async function startProject(
  options: ProjectOptions,
  config: ServerConfig = projectConfig(options),
): Promise<RunningProject> {
  const env = options.env ?? process.env;
  const settings = readSecuritySettings(config.sections.security, env, options.projectDir);
  useCursorKey(loadCursorKey(settings.stateDir, env));
  const { transport } = settings;
  // Key and certificate are checked before anything listens: a bad pair is a clear start-up error.
  const credentials = transport.mode === 'https' ? loadTlsCredentials(transport.tls) : undefined;
  // The server listens before the app is ready (the token issuer is the bound address); requests in
  // that window are answered 503 with Retry-After instead of hanging.
  let handle: http.RequestListener = answerStarting;
  const health = new Health();
  const onRequest: http.RequestListener = (request, response) => {
    if (health.answer(request, response)) return;
    // While draining, each response ends its connection (RFC 9112 §9.6), so clients go elsewhere.
    if (health.phase === 'stopping') response.setHeader('Connection', 'close');
    handle(request, response);
  };
  const server = credentials
    ? https.createServer({ ...credentials, minVersion: 'TLSv1.2' }, onRequest)
    : http.createServer(onRequest);
  server.on('clientError', answerClientError);
  const port = await listen(server, config.port, config.host);
  const url = `${credentials ? 'https' : 'http'}://${urlHost(config.host)}:${port}`;
  let wiring: SecurityWiring | undefined;
  try {
    wiring = await wireSecurity(settings, url, config.publicUrl, options.clients);
    const served = servedVersions(options.versions, config);
    const search = wireSearch(served, readSearchSettings(config.sections.search));
    const versions: Record<string, VersionSetup> = {};
    for (const version of served) {
      versions[version.binding.id] = {
        binding: version.binding,
        services: (store) => version.createServices({ store }),
        searchParser: search.parser,
      };
    }
    const built = buildServer({
      config,
      versions,
      store: search.store,
      middleware: wiring.middleware,
      ...(wiring.authorize === undefined ? {} : { authorize: wiring.authorize }),
      ...(wiring.guard === undefined ? {} : { guard: wiring.guard }),
      ...(wiring.capabilitySecurity === undefined ? {} : { capabilitySecurity: wiring.capabilitySecurity }),
    });
    const reindexed = await search.reindexIfStale(built.store);
    if (reindexed > 0) built.logger.info(`search index rebuilt for ${reindexed} resources`);
    // Which X-Forwarded-* headers to believe (client address for token binding, protocol for HSTS).
    built.app.set('trust proxy', transport.trustProxy);
    handle = built.app;
    const redirect =
      credentials && transport.redirectPort !== undefined
        ? await redirectListener(port, transport.redirectPort, config.host, transport.publicHost)
        : undefined;
    for (const id of config.versions) built.logger.info(`FHIR ${id} at ${url}${config.basePaths[id]}`);
    const security = wiring.security;
    const closeSecurity = wiring.close;
    const checks: Record<string, Check> = { resourceStore: () => built.store.ping() };
    if (security) checks.tokenStore = () => security.store.ping();
    health.setChecks(checks);
    health.phase = 'ready';
    let stopping: Promise<void> | undefined;
    const shutdown = (graceMs: number) => {
      stopping ??= (async () => {
        health.phase = 'stopping';
        await drain(server, graceMs);
        if (redirect) await drain(redirect.server, 0);
        await closeSecurity();
        await built.store.close();
      })();
      return stopping;
    };
    return {
      ...built,
      server,
      url,
      warnings: config.invariants
        ? wiring.warnings
        : [
            ...wiring.warnings,
            'invariants are off (INVARIANTS=false): resources that break the constraints of their definitions are accepted',
          ],
      ...(security === undefined ? {} : { security }),
      ...(redirect === undefined ? {} : { redirect }),
      health,
      shutdown,
      close: () => shutdown(0),
    };
  } catch (error) {
    await closeServer(server);
    await wiring?.close();
    throw error;
  }
}

/** 503 while the server starts (https://hl7.org/fhir/R4/http.html: transient, try again). */
export function answerStarting(_request: http.IncomingMessage, response: http.ServerResponse): void {
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [
      { severity: 'error', code: 'transient', diagnostics: 'The server is starting; try again shortly' },
    ],
  });
  response.writeHead(503, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Retry-After': '1',
  });
  response.end(body);
}

/**
 * Requests Node's HTTP parser refuses (malformed framing, oversized headers) never reach Express:
 * they too get an OperationOutcome rather than Node's bare 400 (Node's "clientError" event).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's own handler: answer unless a response on this socket has already begun.
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || pending?.headersSent === true) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'invalid', diagnostics: 'The request is not valid HTTP' }],
  });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

async function listen(server: http.Server | https.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function redirectListener(httpsPort: number, port: number, host: string, publicHost?: string) {
  const server = createRedirectServer(httpsPort, publicHost);
  const bound = await listen(server, port, host);
  return { server, url: `http://${urlHost(host)}:${bound}` };
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `npm start`: start, say where, stop cleanly on SIGINT/SIGTERM; a bad config exits 1 with its problems. */
export function runServer(options: ProjectOptions): void {
  let config: ServerConfig;
  try {
    config = projectConfig(options);
  } catch (error) {
    fail(error);
    return;
  }
  startProject(options, config).then((running) => {
    for (const warning of running.warnings) process.stderr.write(`WARNING: ${warning}\n`);
    process.stdout.write(`FHIR server listening on ${running.url}\n`);
    if (running.redirect) process.stdout.write(`  redirecting ${running.redirect.url} to HTTPS\n`);
    if (running.security?.routes)
      process.stdout.write(`  tokens from ${running.security.config.issuer}/auth/token\n`);
    for (const version of options.versions) {
      const base = running.url + (config.basePaths[version.binding.id] ?? '');
      if (config.versions.includes(version.binding.id)) {
        process.stdout.write(`  ${version.binding.label.padEnd(6)} ${base}/metadata\n`);
      }
    }
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      // A second signal means "now": the operator is not waiting for the grace period.
      if (stopping) process.exit(1);
      stopping = true;
      process.stdout.write(
        `${signal}: finishing requests in flight (at most ${config.shutdownTimeoutMs} ms), then stopping\n`,
      );
      running.shutdown(config.shutdownTimeoutMs).then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`The server did not stop cleanly: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }, fail);
}

function fail(error: unknown): never {
  if (error instanceof ConfigError || error instanceof SecurityConfigError) {
    process.stderr.write(`${error.message}\nEdit ${CONFIG_FILE} or the environment and start again.\n`);
  } else {
    process.stderr.write(`The server could not start: ${(error as Error).message}\n`);
  }
  process.exit(1);
}
