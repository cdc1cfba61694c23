import type Database from 'better-sqlite3';

/** A fragment of SQL with its bound values. Nothing from a request is ever written into `text`. */
export interface Sql {
  text: string;
  args: unknown[];
}

export const sql = (text: string, ...args: unknown[]): Sql => ({ text, args });

export function join(parts: Sql[], separator: string): Sql {
  return {
    text: parts.map((part) => `(${part.text})`).join(separator),
    args: parts.flatMap((part) => part.args),
  };
}

// TRUE and FALSE rather than 1 and 0: PostgreSQL wants booleans in conditions, SQLite reads them as 1 and 0.
export const any = (parts: Sql[]): Sql => (parts.length === 0 ? sql('FALSE') : join(parts, ' OR '));
export const all = (parts: Sql[]): Sql => (parts.length === 0 ? sql('TRUE') : join(parts, ' AND '));
export const not = (part: Sql): Sql => ({ text: `NOT (${part.text})`, args: part.args });

/** Escapes a LIKE pattern's wildcards; used with `ESCAPE '\\'`. */
export function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Distinct table aliases for nested subqueries. */
export class Aliases {
  private next = 0;
  take(prefix: string): string {
    this.next++;
    return `${prefix}${this.next}`;
  }
}

const STATEMENTS_KEPT = 256;
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * `db.prepare` with the statements kept per database, most recently used last: a search's SQL text
 * depends only on the shape of the query (values are bound), and compiling it costs about as much as
 * running a selective search.
 */
export function prepared(db: Database.Database, text: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(text);
  if (statement === undefined) {
    statement = db.prepare(text);
    if (cache.size >= STATEMENTS_KEPT) cache.delete(cache.keys().next().value as string);
  } else cache.delete(text);
  cache.set(text, statement);
  return statement;
}
