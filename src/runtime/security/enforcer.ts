import type { Principal } from '../contracts';
import type { AbuseMonitor } from './abuse';
import type { AuditLog } from './audit';
import { type Access, accessFor, type Interaction, scopesNeeded } from './scopes';

/**
 * Scope enforcement per interaction, for direct requests as well as `_include` results and
 * batch/transaction entries. Each denial is audited and counted towards automatic revocation.
 */
export type Decision =
  | { allowed: true; access: Exclude<Access, 'none'> }
  | { allowed: false; status: 401 | 403; wwwAuthenticate: string; diagnostics: string };

export class ScopeEnforcer {
  constructor(
    private readonly audit: AuditLog,
    private readonly abuse: AbuseMonitor,
    private readonly now: () => number = Date.now,
    private readonly realm = 'fhir',
  ) {}

  async check(principal: Principal, interaction: Interaction, resourceType: string): Promise<Decision> {
    const access = accessFor(principal.scopes, interaction, resourceType);
    // A `patient/` scope is only usable with a patient in context (SMART "launch context").
    if (access === 'full' || (access === 'patient' && principal.patient !== undefined)) {
      return { allowed: true, access };
    }
    const needed = scopesNeeded(interaction, resourceType);
    this.audit.record({
      type: 'scope_denied',
      jti: principal.tokenId,
      subject: principal.subject,
      clientId: principal.clientId,
      interaction,
      resourceType,
      scope: principal.scopes.join(' '),
    });
    // Without an expiry, keep the revocation for the longest lifetime the built-in service allows.
    const exp = principal.expiresAt ?? Math.floor(this.now() / 1000) + 3600;
    const info = { jti: principal.tokenId, subject: principal.subject, clientId: principal.clientId, exp };
    const revoked = await this.abuse.count('scope_denied', info, this.now());
    if (revoked) {
      return {
        allowed: false,
        status: 401,
        wwwAuthenticate: `Bearer realm="${this.realm}", error="invalid_token", error_description="token revoked"`,
        diagnostics: 'token revoked after repeated scope denials',
      };
    }
    return {
      allowed: false,
      status: 403,
      wwwAuthenticate: `Bearer realm="${this.realm}", error="insufficient_scope", scope="${needed}"`,
      diagnostics: `the token's scopes do not allow ${interaction} on ${resourceType}; it needs one of ${needed}`,
    };
  }
}
