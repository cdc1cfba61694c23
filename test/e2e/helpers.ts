/** Small HTTP helpers for end-to-end tests: JSON in, status, headers and JSON out. */
import assert from 'node:assert/strict';

export interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected field by field
  body: any;
  text: string;
}

export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const headers = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/fhir+json';
  }
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Asserts an OperationOutcome with the given status, and returns its diagnostics joined. */
export function assertOutcome(reply: Reply, status: number): string {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.body?.resourceType, 'OperationOutcome', reply.text);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/(fhir\+json|json\+fhir)/);
  return (reply.body.issue as { diagnostics?: string }[]).map((issue) => issue.diagnostics ?? '').join(' | ');
}
