/**
 * A loopback stand-in for the FHIR package registry (https://packages.fhir.org), serving the packages of
 * `../shared/fhir` (or FHIRGEN_SHARED_FHIR) so that tests exercise the real download path:
 *   GET /<name>/<version>  the package tarball
 *   GET /<name>            an npm-style document: versions[v].dist.{tarball, shasum, integrity}
 * Checksums are computed from the bytes served, at run time. Faults can be injected per package.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import table from '../../definitions/packages.json';

export type Fault =
  /** 404 for the package's tarball and document. */
  | { kind: 'not-found' }
  /** Serves the first half of the tarball as if it were all of it; the document's checksums match it. */
  | { kind: 'truncate' }
  /** The document gives checksums of other bytes. */
  | { kind: 'bad-checksum' }
  /** Waits before answering the tarball request. */
  | { kind: 'slow'; delayMs: number }
  /** Answers `status` to the first `times` tarball requests, then serves normally. */
  | { kind: 'status'; status: number; times: number }
  /** Announces the whole tarball, sends half and drops the connection. */
  | { kind: 'reset' };

export interface RegistryOptions {
  /** Folder of `<name>-<version>.tgz` files; default `../shared/fhir` beside the repository. */
  dir?: string;
  /** Faults by package name (every version) or `name@version`. */
  faults?: Record<string, Fault>;
  /** Serve the npm-style `/<name>` documents (default true); without them only `/<name>/<version>` works. */
  documents?: boolean;
  /** Let the process exit while the server is still open (for a registry shared by a whole test run). */
  unref?: boolean;
}

export interface Registry {
  url: string;
  /** `GET /path` of every request received, in order. */
  requests: string[];
  setFault(key: string, fault: Fault | undefined): void;
  close(): Promise<void>;
}

export function sharedFhirDir(): string {
  return process.env.FHIRGEN_SHARED_FHIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'fhir');
}

/** name -> version -> tarball file, with the other registry names of the old cores added. */
function catalogue(dir: string): Map<string, Map<string, string>> {
  const packages = new Map<string, Map<string, string>>();
  const add = (name: string, version: string, file: string) => {
    const versions = packages.get(name) ?? new Map<string, string>();
    versions.set(version, file);
    packages.set(name, versions);
  };
  for (const file of readdirSync(dir)) {
    const match = /^(.+)-(\d+\.\d+\.\d+[^/]*)\.tgz$/.exec(file);
    if (match?.[1] && match[2]) add(match[1], match[2], path.join(dir, file));
  }
  for (const core of table.versions) {
    const file = packages.get(core.package.name)?.get(core.package.version);
    if (file) for (const name of core.alternateNames) add(name, core.package.version, file);
  }
  return packages;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const packages = catalogue(options.dir ?? sharedFhirDir());
  const faults = new Map(Object.entries(options.faults ?? {}));
  const statusCounts = new Map<string, number>();
  const bytesCache = new Map<string, Buffer>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const faultFor = (name: string, version?: string) =>
    (version ? faults.get(`${name}@${version}`) : undefined) ?? faults.get(name);

  const served = (name: string, version: string, file: string): Buffer => {
    let bytes = bytesCache.get(file);
    if (!bytes) {
      bytes = readFileSync(file);
      bytesCache.set(file, bytes);
    }
    return faultFor(name, version)?.kind === 'truncate' ? bytes.subarray(0, bytes.length >> 1) : bytes;
  };

  const sendTarball = (res: ServerResponse, name: string, version: string, file: string) => {
    const fault = faultFor(name, version);
    const bytes = served(name, version, file);
    if (fault?.kind === 'status') {
      const key = `${name}@${version}`;
      const count = statusCounts.get(key) ?? 0;
      statusCounts.set(key, count + 1);
      if (count < fault.times) {
        res.writeHead(fault.status).end();
        return;
      }
    }
    const headers = { 'Content-Type': 'application/tar+gzip', 'Content-Length': String(bytes.length) };
    if (fault?.kind === 'reset') {
      res.writeHead(200, headers);
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.destroy());
      return;
    }
    const send = () => res.writeHead(200, headers).end(bytes);
    if (fault?.kind !== 'slow') return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) send();
    }, fault.delayMs);
    timers.add(timer);
  };

  const sendDocument = (res: ServerResponse, base: string, name: string, versions: Map<string, string>) => {
    const document = {
      name,
      'dist-tags': { latest: [...versions.keys()].pop() },
      versions: {} as Record<string, unknown>,
    };
    for (const [version, file] of versions) {
      const bytes = served(name, version, file);
      const digestOf =
        faultFor(name, version)?.kind === 'bad-checksum' ? Buffer.concat([bytes, Buffer.from('x')]) : bytes;
      document.versions[version] = {
        name,
        version,
        dist: {
          tarball: `${base}/${name}/${version}`,
          shasum: createHash('sha1').update(digestOf).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(digestOf).digest('base64')}`,
        },
      };
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(document));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const base = `http://${req.headers.host}`;
    const parts = new URL(req.url ?? '/', base).pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [name, version] = parts;
    const versions = name ? packages.get(name) : undefined;
    const notFound = () => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    if (req.method !== 'GET' || !name || !versions || parts.length > 2) return notFound();
    if (faultFor(name, version)?.kind === 'not-found') return notFound();
    if (version === undefined) {
      return options.documents === false ? notFound() : sendDocument(res, base, name, versions);
    }
    const file = versions.get(version);
    return file ? sendTarball(res, name, version, file) : notFound();
  });
  if (options.unref) {
    server.unref();
    server.on('connection', (socket) => socket.unref());
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault: (key, fault) => (fault ? faults.set(key, fault) : faults.delete(key)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A URL on which nothing listens: a loopback port the OS just handed out and took back. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
