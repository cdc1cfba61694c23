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

export const any = (parts: Sql[]): Sql => (parts.length === 0 ? sql('0') : join(parts, ' OR '));
export const all = (parts: Sql[]): Sql => (parts.length === 0 ? sql('1') : join(parts, ' AND '));
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
