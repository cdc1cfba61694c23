import type { PrimitiveType } from '../../ir/types';
import { type JsonSchema, NULLABLE_SUFFIX } from './runtime/document';

/**
 * The schema of a primitive's JSON value. FHIR regexes are written unanchored and must match the whole
 * value (https://hl7.org/fhir/R4/datatypes.html#primitive), so they are anchored here. Strings are never
 * empty (https://hl7.org/fhir/R4/json.html#primitive: "string property values can never be empty").
 */
export function primitiveSchema(primitive: PrimitiveType): JsonSchema {
  const schema: JsonSchema = { fhirType: primitive.name, type: primitive.jsonType };
  if (primitive.jsonType === 'string') {
    // Rather than minLength, which counts code points: a scan of the whole string.
    schema.fhirNonEmpty = true;
    if (primitive.regex !== undefined) schema.pattern = anchor(primitive.regex);
  }
  if (primitive.jsonType === 'integer' || primitive.jsonType === 'number') {
    if (primitive.minValue !== undefined) schema.minimum = primitive.minValue;
    if (primitive.maxValue !== undefined) schema.maximum = primitive.maxValue;
  }
  return schema;
}

/**
 * The same schema accepting `null` too: items of primitive arrays may be null when the aligned `_x`
 * array carries the element's id or extensions (https://hl7.org/fhir/R4/json.html#primitive). The
 * type-specific keywords (pattern, minimum ...) ignore null, so only `type` widens.
 */
export function nullable(schema: JsonSchema): JsonSchema {
  return { ...schema, type: [schema.type, 'null'] };
}

export const nullableName = (name: string): string => `${name}${NULLABLE_SUFFIX}`;

export function anchor(regex: string): string {
  return `^(?:${toJavaScriptRegex(regex)})$`;
}

/** XML Schema's four whitespace characters, `\s` there (https://www.w3.org/TR/xmlschema-2/#cces-mce). */
const XML_SPACE = ' \\t\\n\\r';
const XML_NON_SPACE_RANGES = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u0021-\\u{10FFFF}';

/**
 * A FHIR regex as an equivalent JavaScript one. FHIR's regexes come from XML Schema, where `\s` is only
 * space, tab, CR and LF; in JavaScript `\s` also covers Unicode spaces, which would reject a no-break
 * space the string type allows (https://hl7.org/fhir/R4/datatypes.html#string). So `\s` and `\S` are
 * rewritten to the XML sets, and groups are made non-capturing.
 */
export function toJavaScriptRegex(regex: string): string {
  let out = '';
  let inClass = false;
  const hasBackReference = /\\[1-9]/.test(regex);
  for (let i = 0; i < regex.length; i += 1) {
    const char = regex[i] as string;
    const next = regex[i + 1];
    if (char === '\\' && (next === 's' || next === 'S')) {
      if (inClass) out += next === 's' ? XML_SPACE : XML_NON_SPACE_RANGES;
      else out += next === 's' ? `[${XML_SPACE}]` : `[^${XML_SPACE}]`;
      i += 1;
      continue;
    }
    if (char === '\\' && next !== undefined) {
      out += char + next;
      i += 1;
      continue;
    }
    if (char === '(' && !inClass && next !== '?' && !hasBackReference) {
      // Only whether the value matches counts, so groups need not capture: non-capturing groups
      // spare the engine the bookkeeping, twice as fast on a long base64Binary.
      out += '(?:';
      continue;
    }
    if (char === '[' && !inClass) inClass = true;
    else if (char === ']' && inClass) inClass = false;
    out += char;
  }
  return out;
}
