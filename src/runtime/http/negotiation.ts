/**
 * Content negotiation (https://hl7.org/fhir/R4/http.html#mime-type): `_format` overrides `Accept`;
 * only JSON forms are served, so a request that accepts none of them is 406. And the `Prefer` header
 * (https://hl7.org/fhir/R4/http.html#ops, RFC 7240).
 */
import { FhirHttpError } from '../outcome';

const JSON_FORMATS = new Set([
  'json',
  'application/json',
  'application/fhir+json',
  'application/json+fhir',
  'text/json',
]);
const ACCEPTED_MEDIA_RANGES = new Set([...JSON_FORMATS, '*/*', 'application/*']);

export function checkAcceptable(query: [string, string][], accept: string | undefined): void {
  const format = query.find(([name]) => name === '_format')?.[1];
  if (format !== undefined) {
    const mediaType = (format.split(';')[0] ?? '').trim().toLowerCase();
    if (!JSON_FORMATS.has(mediaType)) {
      throw new FhirHttpError(406, `_format=${format} is not served; this server speaks JSON only`);
    }
    return;
  }
  if (accept === undefined || accept.trim() === '') return;
  const ranges = accept.split(',').map((part) => {
    const [type, ...params] = part.split(';');
    const quality = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return {
      type: (type ?? '').trim().toLowerCase(),
      q: quality === undefined ? 1 : Number(quality.slice(2)),
    };
  });
  if (!ranges.some((range) => range.q > 0 && ACCEPTED_MEDIA_RANGES.has(range.type))) {
    throw new FhirHttpError(406, `None of "${accept}" is served; this server speaks JSON only`);
  }
}

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

export interface Preferences {
  return: ReturnPreference;
  /** `handling=lenient` asks search to ignore unknown parameters (https://hl7.org/fhir/R4/search.html#errors). */
  lenient: boolean;
}

export function parsePrefer(header: string | undefined): Preferences {
  const preferences: Preferences = { return: 'representation', lenient: false };
  if (header === undefined) return preferences;
  for (const part of header.split(/[,;]/)) {
    const [name, rawValue] = part.split('=').map((piece) => piece.trim());
    const value = rawValue?.replace(/^"|"$/g, '');
    if (
      name === 'return' &&
      (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')
    ) {
      preferences.return = value;
    }
    if (name === 'handling' && value === 'lenient') preferences.lenient = true;
  }
  return preferences;
}

/** `If-Match: W/"3"` -> `3` (https://hl7.org/fhir/R4/http.html#concurrency). */
export function parseIfMatch(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?([^"]*)"?\s*$/.exec(header);
  if (match?.[1] === undefined || match[1] === '')
    throw new FhirHttpError(400, `If-Match "${header}" is not an ETag`);
  return match[1];
}
