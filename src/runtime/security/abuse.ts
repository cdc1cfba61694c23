import type { AuditEventType, AuditLog } from './audit';
import type { SecurityConfig } from './config';
import type { TokenStore } from './token-store';

/**
 * Automatic revocation of a token whose holder keeps misbehaving: too many scope denials, or too
 * many trips of the per-token rate limit, within the abuse window. The client has to obtain a new
 * token, and the audit log says why.
 */
export interface AbuseTokenInfo {
  jti: string;
  subject: string;
  clientId: string;
  /** Epoch seconds. */
  exp: number;
}

export class AbuseMonitor {
  constructor(
    private readonly config: Pick<SecurityConfig, 'abuse' | 'clockSkewSeconds'>,
    private readonly store: TokenStore,
    private readonly audit: AuditLog,
  ) {}

  /** Counts one event of `kind` for the token; returns true when the token was revoked for it. */
  async count(kind: 'scope_denied' | 'rate_limited', token: AbuseTokenInfo, now: number): Promise<boolean> {
    const { abuse, clockSkewSeconds } = this.config;
    const threshold = kind === 'scope_denied' ? abuse.scopeDenials : abuse.rateLimitTrips;
    const { count } = await this.store.increment(
      `abuse:${kind}:${token.jti}`,
      abuse.windowSeconds * 1000,
      now,
    );
    if (count < threshold) return false;
    const reason = `abuse: ${count} ${kind === 'scope_denied' ? 'scope denials' : 'rate limit trips'}`;
    const revoked = await this.store.revoke(token.jti, reason, token.exp + clockSkewSeconds, now);
    if (revoked) this.record('token_revoked', token, reason);
    return revoked;
  }

  private record(type: AuditEventType, token: AbuseTokenInfo, reason: string): void {
    this.audit.record({ type, jti: token.jti, subject: token.subject, clientId: token.clientId, reason });
  }
}
