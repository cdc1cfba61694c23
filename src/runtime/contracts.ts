/**
 * The seams between the parts of a generated server: the typed search query that services receive,
 * the authenticated principal on every request, and the context handed to services. The server core,
 * search and security modules each build on these; change them only with all three in view.
 */

export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'quantity'
  | 'uri'
  | 'composite'
  | 'special';

export type SearchPrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** One value of a search parameter (one OR alternative), already parsed by type. */
export interface SearchValue {
  /** The value as the client wrote it, unescaped (`\,` -> `,`). */
  raw: string;
  prefix?: SearchPrefix;
  /** Parsed forms, by parameter type (dates as an inclusive range in epoch milliseconds, tokens split, ...). */
  [key: string]: unknown;
}

/** One search parameter occurrence: repeated occurrences are ANDed, values within one are ORed. */
export interface SearchParam {
  name: string;
  type: SearchParamType;
  modifier?: string;
  /** For chained parameters (`subject:Patient.name`): the target type and the parameter on it. */
  chain?: { targetType?: string; param: SearchParam };
  /**
   * For reverse chaining (`_has:Observation:patient:code=1234`, STU3 and later): resources of `type`
   * whose reference parameter `reference` points at the match, and that match `param`.
   */
  reverse?: { type: string; reference: string; param: SearchParam };
  /** Empty when the values sit in `chain.param` or `reverse.param`. */
  values: SearchValue[];
}

export interface SortKey {
  name: string;
  descending: boolean;
}

export interface IncludeDirective {
  sourceType: string;
  param: string;
  targetType?: string;
  iterate: boolean;
}

/**
 * Where a page starts: after (next) or before (previous) the row whose sort values and id are `key`.
 * Keyset paging keeps pages free of duplicates and gaps while other clients write.
 */
export interface PageCursor {
  direction: 'next' | 'previous';
  key: (string | number | null)[];
  /** The total counted on the first page, carried so that later pages need not count again. */
  total?: number;
}

export type SummaryMode = 'true' | 'false' | 'count' | 'text' | 'data';

export interface SearchQuery {
  resourceType: string;
  params: SearchParam[];
  count: number;
  offset?: number;
  sort: SortKey[];
  include: IncludeDirective[];
  revinclude: IncludeDirective[];
  summary?: SummaryMode;
  elements?: string[];
  total?: 'none' | 'estimate' | 'accurate';
  /** Keyset paging state decoded from a `next`/`previous` link (`_cursor`); absent on the first page. */
  cursor?: PageCursor;
  /** Parameters ignored under `Prefer: handling=lenient`, with why, for the Bundle's OperationOutcome. */
  ignored: { name: string; reason: string }[];
}

/** Who is calling, once the security middleware has accepted the request's token. */
export interface Principal {
  subject: string;
  clientId: string;
  scopes: string[];
  /** The patient in context, for `patient/` scopes. */
  patient?: string;
  tokenId: string;
  /** When the token expires (epoch seconds), so that a revocation is kept exactly as long as it matters. */
  expiresAt?: number;
}

/** Handed to every service call. */
export interface ServiceContext {
  requestId: string;
  /** Absolute base URL of the version's endpoint, e.g. `https://example.org/r4`. */
  baseUrl: string;
  /** `r4`, `stu3`, `dstu2`. */
  version: string;
  /** Absent when the server runs with security switched off. */
  principal?: Principal;
}
