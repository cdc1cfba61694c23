import type { TokenStore } from './token-store';

/** A fixed-window limit kept in the token store, so that several instances share it. */
export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window ends, for `Retry-After` (RFC 6585 §4). */
  retryAfterSeconds: number;
}

export async function consume(
  store: TokenStore,
  key: string,
  limit: { limit: number; windowSeconds: number },
  now: number,
): Promise<RateDecision> {
  const { count, resetAt } = await store.increment(key, limit.windowSeconds * 1000, now);
  return { allowed: count <= limit.limit, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)) };
}
