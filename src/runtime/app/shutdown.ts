/**
 * Draining a listener for a graceful shutdown: stop accepting connections, let the requests in
 * flight finish, close keep-alive connections as soon as they are idle, and cut whatever is still
 * open when the grace period ends (so that a stuck client cannot keep the process alive).
 */
import type http from 'node:http';
import type https from 'node:https';

/** How often idle keep-alive connections are closed while draining. */
const SWEEP_MS = 50;

/** Resolves once every connection is closed; `forced` tells whether the grace period ran out. */
export async function drain(
  server: http.Server | https.Server,
  graceMs: number,
): Promise<{ forced: boolean }> {
  let forced = false;
  // close() stops accepting at once; its callback runs when the last connection has ended.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A connection that was busy when close() was called is idle after its response: close it then.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
  const cut = setTimeout(() => {
    forced = true;
    server.closeAllConnections();
  }, graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
  return { forced };
}
