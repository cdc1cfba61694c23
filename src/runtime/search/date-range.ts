/**
 * Date search values are ranges (https://hl7.org/fhir/R4/search.html#date): `2020` means all of 2020,
 * `2020-05-01T10:00` the whole minute. Ranges are inclusive, in epoch milliseconds. A value without a
 * time zone is read as UTC (the server's zone, which the spec lets the server choose).
 */

export interface MillisRange {
  low: number;
  high: number;
}

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseDateRange(text: string): MillisRange | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month as number))) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59)) return undefined;
  const offset = zoneOffsetMinutes(zone);
  if (offset === undefined) return undefined;

  if (month === undefined) return utcSpan(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
  if (day === undefined) return utcSpan(Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1));
  if (h === undefined) return utcSpan(Date.UTC(year, month - 1, day), Date.UTC(year, month - 1, day + 1));

  const shift = offset * 60_000;
  const start = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s ?? 0)) - shift;
  if (s === undefined) return utcSpan(start, start + 60_000);
  if (fraction === undefined) return utcSpan(start, start + 1000);
  // Milliseconds are the finest grain stored; digits beyond the third narrow nothing further.
  const digits = Math.min(fraction.length, 3);
  const millis = Number(fraction.slice(0, digits).padEnd(3, '0'));
  return utcSpan(start + millis, start + millis + 10 ** (3 - digits));
}

function utcSpan(start: number, endExclusive: number): MillisRange {
  return { low: start, high: endExclusive - 1 };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}
