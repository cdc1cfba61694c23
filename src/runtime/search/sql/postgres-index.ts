/**
 * Index maintenance on PostgreSQL: one statement per write, whatever the number of rows. Each table's
 * rows of the resource are deleted and the new ones inserted from arrays (`unnest`), all as
 * data-modifying CTEs of one statement (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-MODIFYING),
 * so a write costs one round trip for its index and the parameter count stays fixed.
 */
import type { IndexRow } from './indexer';
import { INDEX_TABLES, type IndexKind, type IndexTableSpec, isNumeric } from './schema';

export interface PostgresStatement {
  text: string;
  args: unknown[];
}

const KEY_COLUMNS = ['resource_type', 'id', 'param', 'n', 'grp'];

export function indexStatement(resourceType: string, id: string, rows: IndexRow[]): PostgresStatement {
  const args: unknown[] = [resourceType, id];
  const parts: string[] = [];
  const specs = Object.entries(INDEX_TABLES) as [IndexKind, IndexTableSpec][];
  for (const [kind, spec] of specs) {
    parts.push(`d_${kind} AS (DELETE FROM ${spec.name} WHERE resource_type = $1 AND id = $2)`);
    const mine = rows.filter((row) => row.kind === kind);
    if (mine.length === 0) continue;
    const columns = [...KEY_COLUMNS, ...spec.columns];
    const arrays = columns.map((column, index) => {
      args.push(mine.map((row) => row.values[index] ?? null));
      return `$${args.length}::${index < KEY_COLUMNS.length ? keyType(column) : valueType(kind, column)}`;
    });
    parts.push(
      `i_${kind} AS (INSERT INTO ${spec.name} (${columns.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')}))`,
    );
  }
  // Data-modifying CTEs run whether or not the main query reads them.
  return { text: `WITH ${parts.join(', ')} SELECT 1`, args };
}

function keyType(column: string): string {
  return column === 'grp' || column === 'n' ? 'integer[]' : 'text[]';
}

function valueType(kind: IndexKind, column: string): string {
  return isNumeric(kind, column) ? 'double precision[]' : 'text[]';
}
