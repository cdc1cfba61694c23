/**
 * Runs the engine's statements. The engine is written as generators that yield one statement at a
 * time and receive its rows (`Steps`): SQLite answers synchronously, so a search there stays one
 * synchronous call; PostgreSQL answers with promises. The SQL is written once, in SQLite's syntax,
 * and `postgresText` rewrites the few differences.
 */
import type Database from 'better-sqlite3';
import { prepared } from './sql';

/** One statement and its bound values. */
export interface Ask {
  text: string;
  args: unknown[];
}

export type Row = Record<string, unknown>;
export type Steps<T> = Generator<Ask, T, Row[]>;
export type QueryFn = (text: string, args: unknown[]) => Promise<Row[]>;

export function runSync<T>(db: Database.Database, steps: Steps<T>): T {
  let step = steps.next();
  while (!step.done) step = steps.next(prepared(db, step.value.text).all(...step.value.args) as Row[]);
  return step.value;
}

export async function runAsync<T>(query: QueryFn, steps: Steps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) step = steps.next(await query(postgresText(step.value.text), step.value.args));
  return step.value;
}

const TEXTS_KEPT = 512;
const translated = new Map<string, string>();

/**
 * SQLite's statement in PostgreSQL's syntax: `$n` placeholders, no `INDEXED BY` (PostgreSQL's
 * planner has statistics and needs no hint), and `json_array_elements_text` where SQLite reads a JSON
 * array with `json_each`. Statements depend only on a query's shape, so translations are kept.
 */
export function postgresText(text: string): string {
  let done = translated.get(text);
  if (done !== undefined) return done;
  const plain = text
    .replace(/ INDEXED BY \w+/g, '')
    .replace(/json_each\(\?\)/g, 'json_array_elements_text(?::json)');
  done = numberPlaceholders(plain);
  if (translated.size >= TEXTS_KEPT) translated.delete(translated.keys().next().value as string);
  translated.set(text, done);
  return done;
}

/** `?` outside string literals becomes `$1`, `$2`, ... in order. */
function numberPlaceholders(text: string): string {
  let out = '';
  let n = 0;
  let quoted = false;
  for (const char of text) {
    if (char === "'") quoted = !quoted;
    if (char === '?' && !quoted) out += `$${++n}`;
    else out += char;
  }
  return out;
}
