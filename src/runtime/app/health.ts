/**
 * Health endpoints for load balancers and orchestrators, answered before the FHIR app (outside the
 * FHIR base paths, no token, never cached):
 *
 * - `GET /health/live`: 200 `{"status":"pass"}` while the process runs (restart it when this fails);
 * - `GET /health/ready`: 200 when the resource store and the token store answer, 503 otherwise,
 *   and 503 while the server starts and while it shuts down (send it no new requests).
 *
 * Bodies follow the shape of the "Health Check Response Format for HTTP APIs" draft
 * (draft-inadarei-api-health-check: `status` pass/fail, `checks` per component). Which component
 * failed is told; why is not (that would describe the internal network to anyone): the server's
 * stderr says why.
 */
import type http from 'node:http';

export type Phase = 'starting' | 'ready' | 'stopping';

/** A component's readiness: resolves when it answers. */
export type Check = () => Promise<void>;

export const HEALTH_PATHS = { live: '/health/live', ready: '/health/ready' } as const;

/** How long a readiness check may take before its component counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

export class Health {
  phase: Phase = 'starting';
  private checks: Record<string, Check> = {};

  setChecks(checks: Record<string, Check>): void {
    this.checks = checks;
  }

  /** Answers the request when it is for a health path and returns true; false leaves it to the app. */
  answer(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const path = (request.url ?? '').split('?')[0];
    if (path !== HEALTH_PATHS.live && path !== HEALTH_PATHS.ready) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, { status: 'fail' }, { Allow: 'GET, HEAD' });
      return true;
    }
    if (path === HEALTH_PATHS.live) {
      send(response, 200, { status: 'pass' });
      return true;
    }
    this.ready().then(
      ({ ok, body }) => send(response, ok ? 200 : 503, body),
      () => send(response, 503, { status: 'fail' }),
    );
    return true;
  }

  async ready(): Promise<{ ok: boolean; body: Record<string, unknown> }> {
    if (this.phase !== 'ready') return { ok: false, body: { status: 'fail', phase: this.phase } };
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => passes(this.checks[name] as Check)));
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'pass' : 'fail']));
    const ok = results.every(Boolean) && this.phase === 'ready';
    return { ok, body: { status: ok ? 'pass' : 'fail', checks } };
  }
}

async function passes(check: Check): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function send(
  response: http.ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/health+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  response.end(text);
}
