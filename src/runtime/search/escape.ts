/**
 * FHIR search escaping (https://hl7.org/fhir/R4/search.html#escaping): in a parameter value `\,`,
 * `\$`, `\|` and `\\` stand for the literal characters. Splitting keeps escapes intact so that a value
 * can be split on `,` first, then on `$` (composites) and `|` (tokens, quantities), and unescaped last.
 */

export function splitEscaped(value: string, separator: ',' | '$' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (char === '\\' && i + 1 < value.length) {
      current += char + (value[i + 1] as string);
      i++;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

export function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** The inverse of `unescapeValue`, used to render values back into links. */
export function escapeValue(value: string): string {
  return value.replace(/[\\,$|]/g, (char) => `\\${char}`);
}
