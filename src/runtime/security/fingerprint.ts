import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The fingerprint the token service keeps of each token it hands out: SHA-256 over the exact compact
 * serialisation. Any change of bytes (edited claims, another signature, a malleated encoding of the
 * same signature) changes it; that is how a copy is told apart from the issued token. It never
 * decides validity on its own: signatures are verified by jose.
 */
export function fingerprintOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export function matchesFingerprint(token: string, fingerprint: string): boolean {
  const actual = Buffer.from(fingerprintOf(token));
  const expected = Buffer.from(fingerprint);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
