/**
 * Tokens for end-to-end tests of generated projects: the client secret that `generate project`
 * printed once, exchanged at the project's token endpoint (client credentials, RFC 6749 §4.4).
 */
import http from 'node:http';
import https from 'node:https';

/** The project the security tests share: R4 only, generated with `--https`. */
export const SECURE_PROJECT = ['--name', 'secure-server', '--fhir', 'r4', '--https'];

/** The secret of the client `generate project` registered, from the CLI's output. */
export function clientSecretOf(output: string): string {
  const match = /client_secret: (\S+)/.exec(output);
  if (!match?.[1]) throw new Error(`no client secret in the generator's output:\n${output}`);
  return match[1];
}

export interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Binds the client socket (127.0.0.2 is another loopback address on Linux). */
  localAddress?: string;
  /** Certificate authority to trust, for HTTPS against a self-signed development certificate. */
  ca?: string;
}

export interface Received {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are inspected field by field
  json(): any;
}

/** A bare request (node:http/https, no agent): exact headers, a chosen local address. */
export function send(url: string, request: Sent = {}): Promise<Received> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: request.method ?? 'GET',
        headers: request.headers,
        localAddress: request.localAddress,
        agent: false,
        ...(request.ca === undefined ? {} : { ca: request.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Client credentials at `<base>/auth/token`; resolves with the access token. */
export async function clientToken(
  base: string,
  clientId: string,
  secret: string,
  options: { scope?: string; localAddress?: string; ca?: string } = {},
): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope) form.set('scope', options.scope);
  const reply = await send(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
    body: form.toString(),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  if (reply.status !== 200) throw new Error(`token request failed: ${reply.status} ${reply.text}`);
  return reply.json().access_token as string;
}
