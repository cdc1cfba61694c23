/**
 * A small round-robin HTTP load balancer for tests and benches of several server instances, in the
 * role nginx plays in a deployment: it forwards each request to the next instance over kept-alive
 * connections, appends the client's address to `X-Forwarded-For` and sets `X-Forwarded-Proto`, so
 * that instances trusting the balancer's address see the real client (token address binding, HSTS).
 * It never retries: a request an instance fails to answer gets a 502 OperationOutcome, as nginx
 * answers for non-idempotent requests.
 *
 * It runs in a process of its own (`startBalancer`), so that proxying does not share an event loop
 * with the test or with autocannon. Each response names the instance in `X-Balanced-To` (its index),
 * for tests that must know where a request went.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Headers that describe one connection, not the request (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const kept: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

function badGateway(response: http.ServerResponse, reason: string): void {
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'transient', diagnostics: `load balancer: ${reason}` }],
  });
  response.writeHead(502, {
    'content-type': 'application/fhir+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/**
 * Idle upstream connections are closed after this long, before Node's servers close them (their
 * `keepAliveTimeout` is 5 s): otherwise a request may be written on a connection the instance is
 * closing at that moment, and fail with ECONNRESET (the race nginx's upstream `keepalive_timeout`
 * documentation warns of).
 */
const UPSTREAM_IDLE_MS = 2000;
/** Methods that may be sent again to another instance after a failure (RFC 9110 §9.2.2), as nginx does. */
const RETRIABLE = new Set(['GET', 'HEAD']);

/** The proxy itself; `targets` holds base URLs such as `http://127.0.0.1:40123`, changed in place. */
export function balancerServer(targets: URL[]): http.Server {
  // Outgoing connections leave from 127.0.0.1: the one address the instances trust as a proxy.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, localAddress: '127.0.0.1' });
  agent.keepSocketAlive = (duplex) => {
    const socket = duplex as Socket;
    socket.setKeepAlive(true);
    socket.setTimeout(UPSTREAM_IDLE_MS);
    socket.unref();
    return true;
  };
  let next = 0;
  const pick = () => {
    const index = next % targets.length;
    next = (index + 1) % targets.length;
    return index;
  };

  function forward(request: http.IncomingMessage, response: http.ServerResponse, retried: boolean): void {
    const index = pick();
    const target = targets[index] as URL;
    const client = request.socket.remoteAddress ?? '';
    const forwarded = request.headers['x-forwarded-for'];
    const headers = endToEnd(request.headers);
    headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${client}` : client;
    headers['x-forwarded-proto'] = 'http';
    const upstream = http.request({
      agent,
      hostname: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers,
    });
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, {
        ...endToEnd(answer.headers),
        'x-balanced-to': String(index),
      });
      answer.pipe(response);
    });
    upstream.on('error', (error) => {
      const again = !retried && !response.headersSent && RETRIABLE.has(request.method ?? '');
      // Said on stderr too: a 502 in a bench's counts is otherwise hard to explain.
      process.stderr.write(
        `load balancer: ${request.method} ${request.url} to instance ${index}: ${error.message}${again ? ' (sent to the next instance)' : ''}\n`,
      );
      if (again) forward(request, response, true);
      else if (!response.headersSent) badGateway(response, `instance ${index}: ${error.message}`);
      else response.destroy();
    });
    // GET and HEAD carry no body, so they can be sent again; others stream theirs once.
    if (RETRIABLE.has(request.method ?? '')) upstream.end();
    else request.pipe(upstream);
  }

  return http.createServer((request, response) => {
    if (targets.length === 0) badGateway(response, 'no instances');
    else forward(request, response, false);
  });
}

export interface Balancer {
  url: string;
  child: ChildProcess;
  /** Replaces the instances requests go to, in round-robin order. */
  setTargets(targets: string[]): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts the balancer in a child process on a free port of 127.0.0.1. It learns its instances from
 * `setTargets`, so that they can be started knowing the balancer's address (their public URL).
 */
export async function startBalancer(): Promise<Balancer> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));
  const lines = readLines(child);
  const url = await lines.next();
  return {
    url,
    child,
    async setTargets(targets) {
      child.stdin?.write(`${JSON.stringify(targets)}\n`);
      const answer = await lines.next();
      if (answer !== 'ok') throw new Error(`the load balancer refused its targets: ${answer}`);
    },
    async stop() {
      // Closing its stdin asks it to stop; a balancer that does not is killed.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's stdout, one line at a time; rejects once the child has exited. */
function readLines(child: ChildProcess): { next(): Promise<string> } {
  const queue: string[] = [];
  const waiting: { resolve(line: string): void; reject(error: Error): void }[] = [];
  let buffered = '';
  let ended = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const reader = waiting.shift();
      if (reader) reader.resolve(line);
      else queue.push(line);
    }
  });
  child.once('exit', (code) => {
    ended = true;
    for (const reader of waiting.splice(0)) reader.reject(new Error(`the load balancer exited with ${code}`));
  });
  return {
    next() {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (ended) return Promise.reject(new Error('the load balancer has exited'));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

/** The child: listens, prints its URL, then takes target lists (JSON arrays) on stdin until it ends. */
function serveBalancer(): void {
  const targets: URL[] = [];
  const server = balancerServer(targets);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  let buffered = '';
  process.stdin.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      try {
        const list = (JSON.parse(line) as string[]).map((target) => new URL(target));
        targets.splice(0, targets.length, ...list);
        process.stdout.write('ok\n');
      } catch (error) {
        process.stdout.write(`${(error as Error).message}\n`);
      }
    }
  });
  process.stdin.on('end', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

if (require.main === module) serveBalancer();
