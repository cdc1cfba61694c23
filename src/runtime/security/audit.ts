import pino from 'pino';

/**
 * The audit log of security events: one JSON line per event on its own stream (a file or a stream
 * given by the server), apart from the request log, so that it can be kept and shipped separately.
 * Tokens themselves are never written, only their `jti`.
 */
export type AuditEventType =
  | 'token_issued'
  | 'token_superseded'
  | 'token_revoked'
  | 'token_tampered'
  | 'address_mismatch'
  | 'address_blocked'
  | 'scope_denied'
  | 'rate_limited'
  | 'client_auth_failed';

export interface AuditEvent {
  type: AuditEventType;
  jti?: string;
  subject?: string;
  clientId?: string;
  address?: string;
  reason?: string;
  scope?: string;
  interaction?: string;
  resourceType?: string;
}

export interface AuditLog {
  record(event: AuditEvent): void;
}

/** `destination`: a file path (appended to, created if missing) or a writable stream. */
export function createAuditLog(destination: string | NodeJS.WritableStream): AuditLog {
  const stream =
    typeof destination === 'string'
      ? pino.destination({ dest: destination, mkdir: true, sync: false })
      : destination;
  const logger = pino({ base: { log: 'audit' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    record(event) {
      const { type, ...details } = event;
      logger.info({ event: type, ...details }, type);
    },
  };
}

/** An audit log that keeps events in memory: for tests and for callers that forward them elsewhere. */
export class MemoryAuditLog implements AuditLog {
  readonly events: AuditEvent[] = [];

  record(event: AuditEvent): void {
    this.events.push(event);
  }

  ofType(type: AuditEventType): AuditEvent[] {
    return this.events.filter((event) => event.type === type);
  }
}
