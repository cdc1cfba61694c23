/**
 * The result parameters (https://hl7.org/fhir/R4/search.html#return): they shape the response rather
 * than select resources. Each parser returns the parsed value or an error message for that parameter.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import type { IncludeDirective, PageCursor, SortKey, SummaryMode } from '../contracts';
import { unescapeValue } from './escape';
import type { VersionRules } from './rules';
import { lookupParam, lookupTable, type SearchTables } from './table';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

export function parseCount(text: string, maxCount: number): Parsed<number> {
  if (!/^\d{1,9}$/.test(text)) return fail(`'${text}' is not a non-negative integer`);
  return { ok: true, value: Math.min(Number(text), maxCount) };
}

export function parseOffset(text: string): Parsed<number> {
  if (!/^\d{1,9}$/.test(text)) return fail(`'${text}' is not a non-negative integer`);
  return { ok: true, value: Number(text) };
}

const SUMMARY_MODES: readonly SummaryMode[] = ['true', 'false', 'count', 'text', 'data'];

export function parseSummary(text: string): Parsed<SummaryMode> {
  return (SUMMARY_MODES as readonly string[]).includes(text)
    ? { ok: true, value: text as SummaryMode }
    : fail(`'${text}' is not one of ${SUMMARY_MODES.join(', ')}`);
}

export function parseTotal(text: string): Parsed<'none' | 'estimate' | 'accurate'> {
  return text === 'none' || text === 'estimate' || text === 'accurate'
    ? { ok: true, value: text }
    : fail(`'${text}' is not one of none, estimate, accurate`);
}

const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9]*(?:\[x\])?$/;

/** `_elements=identifier,active`: top-level element names of the resource (search.html#elements). */
export function parseElements(text: string): Parsed<string[]> {
  const names = text.split(',').map((name) => name.trim());
  const bad = names.find((name) => !ELEMENT_NAME.test(name));
  return bad === undefined ? { ok: true, value: names } : fail(`'${bad}' is not an element name`);
}

/**
 * `_sort=status,-date` (STU3, R4), or DSTU2's `_sort=date` / `_sort:asc=date` / `_sort:desc=date`,
 * one key per repetition. Keys must be parameters of the resource (search.html#sort).
 */
export function parseSort(
  text: string,
  modifier: string | undefined,
  rules: VersionRules,
  isSortable: (name: string) => boolean,
): Parsed<SortKey[]> {
  const keys: SortKey[] = [];
  if (rules.sortStyle === 'modifier') {
    if (modifier !== undefined && modifier !== 'asc' && modifier !== 'desc') {
      return fail(`':${modifier}' is not asc or desc`);
    }
    keys.push({ name: text, descending: modifier === 'desc' });
  } else {
    if (modifier !== undefined)
      return fail(`_sort takes no modifier in this version; use '-' for descending`);
    for (const part of text.split(',')) {
      const descending = part.startsWith('-');
      keys.push({ name: descending ? part.slice(1) : part, descending });
    }
  }
  const unknown = keys.find((key) => !isSortable(key.name));
  return unknown === undefined ? { ok: true, value: keys } : fail(`cannot sort by '${unknown.name}'`);
}

/**
 * `_include=Observation:subject[:Patient]`, `_include=Observation:*`, `_include=*`, with
 * `:iterate` (R4) or `:recurse` (DSTU2, STU3) asking to apply it to included resources too.
 * Without iteration a `_include` source must be the searched type, and a `_revinclude` must point at it.
 */
export function parseInclude(
  text: string,
  modifier: string | undefined,
  reverse: boolean,
  searchedType: string,
  tables: SearchTables,
  rules: VersionRules,
): Parsed<IncludeDirective> {
  if (modifier !== undefined && !rules.iterateModifiers.includes(modifier)) {
    return fail(`':${modifier}' is not one of ${rules.iterateModifiers.map((m) => `:${m}`).join(', ')}`);
  }
  const iterate = modifier !== undefined;
  if (text === '*') return { ok: true, value: { sourceType: searchedType, param: '*', iterate } };
  const parts = text.split(':').map(unescapeValue);
  if (parts.length < 2 || parts.length > 3)
    return fail(`'${text}' is not [type]:[parameter] or [type]:[parameter]:[target]`);
  const [sourceType, param, targetType] = parts as [string, string, string | undefined];
  const table = lookupTable(tables, sourceType);
  if (!table) return fail(`'${sourceType}' is not a resource type`);
  if (!iterate && !reverse && sourceType !== searchedType) {
    return fail(
      `'${sourceType}' is not the searched type ${searchedType} (add :iterate to include from included resources)`,
    );
  }
  const directive: IncludeDirective = { sourceType, param, iterate };
  if (param === '*')
    return targetType === undefined ? { ok: true, value: directive } : fail(`'*' takes no target type`);
  const def = lookupParam(table, param);
  if (def?.type !== 'reference') return fail(`'${param}' is not a reference parameter of ${sourceType}`);
  if (targetType !== undefined) {
    if (def.targets.length > 0 && !def.targets.includes(targetType)) {
      return fail(`'${targetType}' is not a target of ${sourceType}:${param}`);
    }
    directive.targetType = targetType;
  }
  const pointsAtSearched = directive.targetType === undefined || directive.targetType === searchedType;
  if (
    reverse &&
    !iterate &&
    (!pointsAtSearched || (def.targets.length > 0 && !def.targets.includes(searchedType)))
  ) {
    return fail(`${sourceType}:${param} does not point at ${searchedType}`);
  }
  return { ok: true, value: directive };
}

/**
 * Cursors are sealed (AES-256-GCM): they carry the sort keys and id of a row and the total, which the
 * compartment guard may hide from the caller (http/guard.ts), so a client must neither read nor forge
 * them. The key is drawn when the process starts unless `useCursorKey` gives one; generated servers
 * give the key kept in their state folder (app/cursor-key.ts), so links survive restarts and work on
 * every instance that shares it.
 */
let cursorKey: Buffer = randomBytes(32);

export function useCursorKey(key: Buffer): void {
  if (key.length !== 32) throw new RangeError('a cursor key is 32 bytes');
  cursorKey = key;
}

/**
 * Random bytes for IVs, drawn 4 KB at a time: one `randomBytes(12)` per cursor cost about a third of
 * sealing it. Each IV is still 12 fresh bytes from the CSPRNG, never handed out twice.
 */
const IV_POOL = Buffer.alloc(4096);
let ivOffset = IV_POOL.length;

function nextIv(): Buffer {
  if (ivOffset + 12 > IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
  }
  // A view: `seal` copies it into the cipher and the sealed text before the pool is refilled.
  const iv = IV_POOL.subarray(ivOffset, ivOffset + 12);
  ivOffset += 12;
  return iv;
}

function seal(text: string): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', cursorKey, iv);
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function unseal(text: string): string {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length < 29) throw new Error('too short');
  const decipher = createDecipheriv('aes-256-gcm', cursorKey, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/** The `_cursor` of a next/previous link, written by `encodeCursor`: unsealed, then checked field by field. */
export function parseCursor(text: string): Parsed<PageCursor> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(unseal(text));
  } catch {
    return fail('not a cursor this server wrote');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded))
    return fail('not a cursor this server wrote');
  const { d, k, t } = decoded as { d?: unknown; k?: unknown; t?: unknown };
  const keyOk =
    Array.isArray(k) &&
    k.length > 0 &&
    k.length <= 16 &&
    k.every(
      (part) =>
        part === null || typeof part === 'string' || (typeof part === 'number' && Number.isFinite(part)),
    );
  const totalOk = t === undefined || (typeof t === 'number' && Number.isInteger(t) && t >= 0);
  if ((d !== 'n' && d !== 'p') || !keyOk || !totalOk) return fail('not a cursor this server wrote');
  const cursor: PageCursor = { direction: d === 'n' ? 'next' : 'previous', key: k as PageCursor['key'] };
  if (typeof t === 'number') cursor.total = t;
  return { ok: true, value: cursor };
}

export function encodeCursor(cursor: PageCursor): string {
  const body =
    cursor.total === undefined
      ? { d: cursor.direction === 'next' ? 'n' : 'p', k: cursor.key }
      : { d: cursor.direction === 'next' ? 'n' : 'p', k: cursor.key, t: cursor.total };
  return seal(JSON.stringify(body));
}
