/**
 * The typed catalogue of fhirgen errors. Library code throws these; only the CLI (bin/) maps them to
 * exit codes and prints them. Each carries a stable code, a location and a hint saying what to do next.
 */

/** What kind of failure it is; decides the CLI exit code. */
export type ErrorCategory = 'usage' | 'input' | 'network' | 'problems' | 'internal';

export const EXIT_CODES: Readonly<Record<ErrorCategory, number>> = {
  problems: 1,
  usage: 2,
  input: 2,
  network: 3,
  internal: 70,
};

export const ERROR_CODES = {
  UNKNOWN_ALIAS: 'input',
  BAD_PACKAGE_SPEC: 'usage',
  PACKAGE_NOT_FOUND: 'network',
  REGISTRY_UNREACHABLE: 'network',
  REGISTRY_TIMEOUT: 'network',
  REGISTRY_ERROR: 'network',
  CHECKSUM_MISMATCH: 'network',
  FILE_CHECKSUM_MISMATCH: 'input',
  CORRUPT_ARCHIVE: 'input',
  MISSING_PACKAGE_JSON: 'input',
  INVALID_JSON: 'input',
  DEPENDENCY_NOT_FOUND: 'input',
  NOT_IN_CACHE: 'input',
  UNSUPPORTED_SOURCE: 'input',
  UNKNOWN_TYPE: 'input',
  UNKNOWN_FHIR_VERSION: 'input',
  INVALID_DEFINITION: 'input',
  UNREADABLE_INPUT: 'input',
  INVALID_OPTION: 'usage',
  TARGET_NOT_EMPTY: 'usage',
  STALE_OUTPUT: 'problems',
  INVALID_RESOURCES: 'problems',
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorCategory>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  /** Where it happened: a package (`name@version`), file, canonical URL or element path. */
  location?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

export class FhirgenError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly location: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FhirgenError';
    this.code = code;
    this.category = ERROR_CODES[code];
    this.location = details.location;
    this.hint = details.hint;
  }

  get exitCode(): number {
    return EXIT_CODES[this.category];
  }

  /** One line for people: what failed, where, and what to do. */
  describe(): string {
    const where = this.location ? ` (${this.location})` : '';
    const next = this.hint ? `; ${this.hint}` : '';
    return `${this.message}${where}${next}`;
  }
}

export function isFhirgenError(value: unknown): value is FhirgenError {
  return value instanceof FhirgenError;
}
