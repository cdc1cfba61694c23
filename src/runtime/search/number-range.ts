/**
 * Numbers carry their precision (https://hl7.org/fhir/R4/search.html#number): `100` matches
 * [99.5, 100.5), `100.00` matches [99.995, 100.005). The half-width is half a unit of the last digit
 * written, exponent included (`1.0e2` is [95, 105)).
 */

export interface NumberRange {
  value: number;
  /** Inclusive. */
  low: number;
  /** Exclusive. */
  high: number;
}

const NUMBER = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

export function parseNumberRange(text: string): NumberRange | undefined {
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const decimals = match[2]?.length ?? 0;
  const exponent = match[3] === undefined ? 0 : Number(match[3]);
  const halfWidth = 0.5 * 10 ** (exponent - decimals);
  return { value, low: round(value - halfWidth), high: round(value + halfWidth) };
}

/** Removes binary noise such as 99.99499999999 without losing any digit a client can write. */
function round(value: number): number {
  return Number(value.toPrecision(15));
}
