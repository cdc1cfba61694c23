/**
 * Ids the server assigns to created resources: time-ordered UUIDs (UUID version 7, RFC 9562 §5.7),
 * valid FHIR ids (https://hl7.org/fhir/R4/datatypes.html#id). Each is greater, as text, than the one
 * before: a 48-bit millisecond timestamp, then a 12-bit counter for ids made in the same millisecond
 * (RFC 9562 §6.2, method 1), then 62 random bits. Stores keep rows and index entries in id order, so
 * new resources land at the end of those B-trees instead of on random pages: a create then touches
 * and rewrites fewer pages (about a quarter less CPU per create with the search index, bench/writes).
 * The id tells when the resource was created, which `meta.lastUpdated` of its first version says too.
 */
import { randomFillSync } from 'node:crypto';

const COUNTER_MAX = 0xfff;
const bytes = Buffer.alloc(16);
let lastMs = 0;
let counter = 0;

export function newResourceId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (counter < COUNTER_MAX) {
    counter += 1;
  } else {
    // 4,096 ids in one millisecond: borrow the next one, so that order still holds.
    lastMs += 1;
    counter = 0;
  }
  randomFillSync(bytes, 8, 8);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
