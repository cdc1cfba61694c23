/**
 * Reading request bodies safely (SECURITY.md, Input): only the JSON media types FHIR defines
 * (https://hl7.org/fhir/R4/http.html#mime-type), JSON Patch for PATCH and form encoding for
 * POST `_search` (anything else 415); a size limit (413); malformed JSON 400; keys that reach
 * `Object.prototype` (`__proto__`, `constructor`, `prototype`) 400; nesting depth bounded (400).
 */
import type { IncomingMessage } from 'node:http';
import { FhirHttpError } from '../outcome';

export interface BodyLimits {
  /** Bytes. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays accepted. */
  maxDepth: number;
}

export type ParsedBody =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; value: [string, string][] };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `jsonTypes`: the version's JSON media types (DSTU2 adds `application/json+fhir`). */
export async function readBody(
  request: IncomingMessage,
  jsonTypes: ReadonlySet<string>,
  limits: BodyLimits,
): Promise<ParsedBody> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes) {
    // Drain what the client sends so that it reads the 413 instead of a reset connection.
    request.resume();
    throw tooLarge(limits);
  }
  const hasBody =
    declared !== undefined ? Number(declared) > 0 : request.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return { kind: 'none' };
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const isJson = jsonTypes.has(mediaType) || mediaType === 'application/json-patch+json';
  const isForm = mediaType === 'application/x-www-form-urlencoded';
  if (!isJson && !isForm) {
    request.resume();
    throw new FhirHttpError(
      415,
      `Content-Type "${mediaType}" is not accepted; send ${[...jsonTypes].join(' or ')}`,
    );
  }
  const text = await readText(request, limits);
  if (isForm) return { kind: 'form', value: [...new URLSearchParams(text)] };
  if (text.trim() === '') return { kind: 'none' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FhirHttpError(400, 'The body is not well-formed JSON');
  }
  checkJsonShape(value, limits.maxDepth);
  return { kind: 'json', value };
}

function readText(request: IncomingMessage, limits: BodyLimits): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limits.maxBytes) {
        failed = true;
        reject(tooLarge(limits));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/** Walks the parsed JSON without recursion, so that a hostile depth cannot overflow the stack. */
export function checkJsonShape(value: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) throw new FhirHttpError(400, `The body nests deeper than ${maxDepth} levels`);
    if (Array.isArray(current)) {
      for (const item of current) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(current)) {
      if (FORBIDDEN_KEYS.has(key))
        throw new FhirHttpError(400, `The body contains the forbidden key "${key}"`);
      stack.push([(current as Record<string, unknown>)[key], depth + 1]);
    }
  }
}

function tooLarge(limits: BodyLimits): FhirHttpError {
  return new FhirHttpError(413, `The body is larger than ${limits.maxBytes} bytes`);
}
