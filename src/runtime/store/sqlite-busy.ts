/**
 * Opening an SQLite file that other processes open at the same moment (instances behind a load
 * balancer starting together on one store file or one security state folder). Each takes the file to
 * WAL mode and creates or migrates its tables; most of that waits for the other's lock
 * (`busy_timeout`), but SQLite answers some steps SQLITE_BUSY at once instead of waiting: a journal
 * mode change, and a write whose read snapshot another process's schema change made stale
 * (https://sqlite.org/rescode.html#busy_snapshot). Those steps are repeated here, a short while
 * later, until they pass or the time is up. Only the opening is retried: a busy request later on is
 * the busy timeout's to wait for.
 */

/** How long opening keeps trying, in all. */
const OPEN_TIMEOUT_MS = 10_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `step` (synchronous, as better-sqlite3 is) again while it fails with SQLITE_BUSY, sleeping
 * 10 to 100 ms between tries (the thread is blocked, which start-up can afford), up to `timeoutMs`.
 */
export function retryWhileBusy<T>(step: () => T, timeoutMs = OPEN_TIMEOUT_MS): T {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return step();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, Math.min(100, 10 * attempt));
    }
  }
}
