import type { Request } from 'express';

/**
 * The client address as Express computes it from the socket and, when `trust proxy` is set, from
 * `X-Forwarded-For` (Express "behind proxies" guide). Address binding and blocking are only as good
 * as that setting: behind a load balancer without it, every client looks like the balancer.
 * IPv4-mapped IPv6 addresses are written as plain IPv4 so that both forms compare equal.
 */
export function clientAddress(req: Request): string {
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
