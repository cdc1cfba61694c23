import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import axios, { type AxiosResponse, isAxiosError } from 'axios';
import { FhirgenError } from '../errors';
import { createProgress } from './progress';

export interface HttpOptions {
  /** Idle time after which a request or a stalled download is abandoned. */
  timeoutMs: number;
  /** Attempts in all, for transient failures only. */
  attempts: number;
  /** Show a progress bar (on a TTY only). */
  progress: boolean;
}

export const DEFAULT_HTTP: HttpOptions = { timeoutMs: 30_000, attempts: 3, progress: false };

/** GETs a JSON document; `undefined` when the server answers 404 (or with something that is not JSON). */
export async function getJson(url: string, options: HttpOptions): Promise<unknown | undefined> {
  return withRetry(url, options, async () => {
    const response = await axios.get<unknown>(url, {
      timeout: options.timeoutMs,
      responseType: 'json',
      headers: { Accept: 'application/json' },
      validateStatus: () => true,
    });
    if (response.status === 404) return undefined;
    failOnStatus(response, url);
    return typeof response.data === 'object' && response.data !== null ? response.data : undefined;
  });
}

/** Streams `url` into `file`. Returns false on 404; throws a typed network error otherwise. */
export async function downloadFile(
  url: string,
  file: string,
  label: string,
  options: HttpOptions,
): Promise<boolean> {
  return withRetry(url, options, async () => {
    const controller = new AbortController();
    const response = await axios.get<NodeJS.ReadableStream>(url, {
      timeout: options.timeoutMs,
      responseType: 'stream',
      signal: controller.signal,
      // The archive's own bytes, never a transfer-decoded copy: checksums and Content-Length describe them.
      decompress: false,
      headers: {
        Accept: 'application/tar+gzip, application/gzip, application/octet-stream',
        'Accept-Encoding': 'identity',
      },
      validateStatus: () => true,
    });
    if (response.status === 404) {
      controller.abort();
      return false;
    }
    if (response.status >= 300) controller.abort();
    failOnStatus(response, url);
    const declared = Number(response.headers['content-length'] ?? 0);
    const progress = createProgress(label, options.progress);
    progress.start(declared);
    let received = 0;
    let idle: NodeJS.Timeout | undefined;
    const watchdog = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), options.timeoutMs);
    };
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        progress.advance(chunk.length);
        watchdog();
        done(null, chunk);
      },
    });
    watchdog();
    try {
      await pipeline(response.data, counter, createWriteStream(file));
    } catch (cause) {
      throw controller.signal.aborted ? timeoutError(url, options, cause) : cause;
    } finally {
      clearTimeout(idle);
      progress.stop();
    }
    if (declared > 0 && received !== declared) {
      throw new TransientError(`the download stopped after ${received} of ${declared} bytes`);
    }
    return true;
  });
}

/** A failure worth another attempt (RFC 9110 section 15.6: 5xx are server-side, often temporary). */
class TransientError extends Error {}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function failOnStatus(response: AxiosResponse, url: string): void {
  if (response.status < 300) return;
  const message = `the registry answered ${response.status} ${response.statusText ?? ''}`.trim();
  if (response.status >= 500 || response.status === 429) throw new TransientError(message);
  throw new FhirgenError('REGISTRY_ERROR', message, {
    location: url,
    hint: 'check the package name and --registry (or FHIRGEN_REGISTRY)',
  });
}

async function withRetry<T>(url: string, options: HttpOptions, attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let n = 1; n <= options.attempts; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      if (!isTransient(error) || n === options.attempts) break;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** n));
    }
  }
  throw toNetworkError(last, url, options);
}

function isTransient(error: unknown): boolean {
  if (error instanceof TransientError) return true;
  if (error instanceof FhirgenError) return error.code === 'REGISTRY_TIMEOUT';
  const code = (error as { code?: string }).code;
  return code !== undefined && TRANSIENT_CODES.has(code);
}

function timeoutError(url: string, options: HttpOptions, cause: unknown): FhirgenError {
  return new FhirgenError('REGISTRY_TIMEOUT', `the registry did not answer within ${options.timeoutMs} ms`, {
    location: url,
    hint: 'try again later, or use a mirror with --registry',
    cause,
  });
}

/** One typed error per way the network can fail, each saying what to do. */
function toNetworkError(error: unknown, url: string, options: HttpOptions): FhirgenError {
  if (error instanceof FhirgenError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return new FhirgenError('REGISTRY_UNREACHABLE', `cannot connect to the package registry (${code})`, {
      location: url,
      hint: 'check the network and --registry (or FHIRGEN_REGISTRY)',
      cause: error,
    });
  }
  if (
    code === 'ECONNABORTED' ||
    code === 'ETIMEDOUT' ||
    (isAxiosError(error) && error.code === 'ERR_CANCELED')
  ) {
    return timeoutError(url, options, error);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FhirgenError('REGISTRY_ERROR', `the download failed: ${message}`, {
    location: url,
    hint: 'try again later, or use a mirror with --registry',
    cause: error,
  });
}
