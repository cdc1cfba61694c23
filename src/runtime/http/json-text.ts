/**
 * A resource already serialised to its canonical JSON: casting writes it once, and the response is
 * sent from that text instead of serialising the class instance again. Anything that needs the
 * object form (the compartment guard, a generic `JSON.stringify`) still gets it through `toJSON`.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/**
 * The text of a response body: a `JsonText` as it is, a Bundle (searchset, history, batch-response)
 * written entry by entry so that entries holding a `JsonText` are not parsed and written again, and
 * anything else through `JSON.stringify`.
 */
export function bodyText(value: unknown): string {
  if (value instanceof JsonText) return value.text;
  const entry = isPlainObject(value) ? value.entry : undefined;
  if (!Array.isArray(entry)) return JSON.stringify(value);
  return objectText(value as Record<string, unknown>, 'entry', entriesText);
}

function entriesText(entries: unknown[]): string {
  let out = '[';
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) out += ',';
    const entry = entries[i];
    out += isPlainObject(entry) ? objectText(entry, 'resource', bodyText) : (JSON.stringify(entry) ?? 'null');
  }
  return `${out}]`;
}

/**
 * Writes a plain object key by key, in its own key order, as `JSON.stringify` would (undefined and
 * function values left out), with the value under `special` written by `write`.
 */
function objectText<T>(
  object: Record<string, unknown>,
  special: string,
  write: (value: T) => string,
): string {
  let out = '{';
  let first = true;
  for (const key of Object.keys(object)) {
    const value = object[key];
    const text = key === special && value !== undefined ? write(value as T) : JSON.stringify(value);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/** Only objects `JSON.stringify` would write as their own keys (no `toJSON`, no class). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}
