/**
 * Retries `check` until it resolves, for up to `timeoutMs`; then rethrows its last failure. For state
 * that settles by itself (a server coming back, a connection re-established).
 */
export async function eventually(
  check: () => Promise<unknown>,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
