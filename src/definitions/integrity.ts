import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type ErrorCode, FhirgenError } from '../errors';

/** What a download must match: the npm package document's `dist` fields and/or a user-given sha256. */
export interface ExpectedDigests {
  /** `dist.shasum`: the SHA-1 of the tarball in hex (npm registry API). */
  shasum?: string;
  /** `dist.integrity`: a Subresource Integrity string, e.g. `sha512-<base64>` (W3C SRI section 3.1). */
  integrity?: string;
  /** `--sha256 <hex>`. */
  sha256?: string;
}

const ALGORITHMS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
type Algorithm = (typeof ALGORITHMS)[number];
export type Digests = Record<Algorithm, Buffer>;

/** Hashes a file with every algorithm a registry may name. */
export async function digestFile(file: string): Promise<Digests> {
  const hashes = ALGORITHMS.map((algorithm) => createHash(algorithm));
  for await (const chunk of createReadStream(file)) {
    for (const hash of hashes) hash.update(chunk as Buffer);
  }
  return Object.fromEntries(ALGORITHMS.map((algorithm, i) => [algorithm, hashes[i]?.digest()])) as Digests;
}

/** Where the bytes came from, what to do about a mismatch, and which error it is (download or local file). */
export interface DigestContext {
  location: string;
  hint: string;
  code: Extract<ErrorCode, 'CHECKSUM_MISMATCH' | 'FILE_CHECKSUM_MISMATCH'>;
}

/**
 * Throws unless the digests match every expectation given. SRI lists may hold several hashes; per SRI
 * section 3.3.3 the strongest algorithm present decides.
 */
export function verifyDigests(digests: Digests, expected: ExpectedDigests, context: DigestContext): void {
  if (expected.shasum && digests.sha1.toString('hex') !== expected.shasum.toLowerCase()) {
    throw mismatch('dist.shasum (SHA-1)', context);
  }
  if (expected.sha256 && digests.sha256.toString('hex') !== expected.sha256.toLowerCase()) {
    throw mismatch('the expected sha256', context);
  }
  if (expected.integrity) verifyIntegrity(digests, expected.integrity, context);
}

function verifyIntegrity(digests: Digests, integrity: string, context: DigestContext): void {
  const entries = integrity
    .trim()
    .split(/\s+/)
    .map((item) => {
      const dash = item.indexOf('-');
      return { algorithm: item.slice(0, dash) as Algorithm, value: item.slice(dash + 1).split('?')[0] ?? '' };
    })
    .filter((entry) => ALGORITHMS.includes(entry.algorithm));
  if (entries.length === 0) return;
  const strongest = Math.max(...entries.map((entry) => ALGORITHMS.indexOf(entry.algorithm)));
  const candidates = entries.filter((entry) => ALGORITHMS.indexOf(entry.algorithm) === strongest);
  const ok = candidates.some((entry) => digests[entry.algorithm].toString('base64') === entry.value);
  if (!ok) throw mismatch('dist.integrity', context);
}

function mismatch(what: string, context: DigestContext): FhirgenError {
  return new FhirgenError(context.code, `the archive's checksum does not match ${what}`, {
    location: context.location,
    hint: context.hint,
  });
}

export function isSha256Hex(value: string): boolean {
  return /^[0-9a-f]{64}$/i.test(value);
}
