/**
 * PostgreSQL failures as FHIR answers. A database that cannot be reached is a transient condition:
 * 503 with Retry-After (RFC 9110 §15.6.4), and the pool makes new connections once it is back.
 */
import { FhirHttpError, issue } from '../outcome';

/** SQLSTATE classes and codes of a lost or refused connection (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

/** The database could not be reached when the store opened. */
export class StoreUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnreachableError';
  }
}

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StoreUnreachableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code) || code.startsWith('08')) return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    error.message,
  );
}

export function unavailable(): FhirHttpError {
  return new FhirHttpError(
    503,
    [issue('error', 'transient', 'The database is unavailable; try again shortly')],
    { 'Retry-After': '5' },
  );
}

/** The start-up message: one line naming the server and what to check. */
export function cannotReach(url: string, error: unknown): StoreUnreachableError {
  let where = 'PostgreSQL';
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, '') || '(default)';
    where = `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'} (database ${database})`;
  } catch {
    // The config check has already refused URLs that do not parse.
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnreachableError(
    `${where} cannot be reached: ${reason}. Check that it runs and accepts connections, and the user, password and database in STORE_URL.`,
  );
}
