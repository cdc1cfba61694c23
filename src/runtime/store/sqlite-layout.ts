/**
 * Brings a store file of the previous layout to the current one at open, once, in one transaction.
 * The previous layout held the current version's text twice (`resources.json` and its history row)
 * and every older version's text uncompressed; the current one (history-text.ts) holds the current
 * text once and deflates older ones. A file written by this version is marked and left alone.
 */
import type Database from 'better-sqlite3';
import { packHistoryText } from './history-text';

/** The layout this code writes, kept in `fhirgen_meta` under `store_layout`. */
const LAYOUT = '2';

export function migrateLayout(db: Database.Database): void {
  // The same table as the search module's fingerprint (app/search.ts).
  db.exec('CREATE TABLE IF NOT EXISTS fhirgen_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const marked = db.prepare("SELECT value FROM fhirgen_meta WHERE key = 'store_layout'").get() as
    | { value: string }
    | undefined;
  if (marked?.value === LAYOUT) return;
  db.transaction(() => {
    // The current version's history row stands for the text in `resources`.
    db.exec(`UPDATE resource_history SET json = NULL WHERE json IS NOT NULL AND EXISTS (
      SELECT 1 FROM resources r WHERE r.resource_type = resource_history.resource_type
      AND r.id = resource_history.id AND r.version_id = resource_history.version_id)`);
    // Older versions deflated, a thousand rows at a time so that memory stays bounded.
    const older = db.prepare(
      "SELECT rowid, json FROM resource_history WHERE typeof(json) = 'text' AND rowid > ? ORDER BY rowid LIMIT 1000",
    );
    const pack = db.prepare('UPDATE resource_history SET json = ? WHERE rowid = ?');
    let after = 0;
    for (;;) {
      const rows = older.all(after) as { rowid: number; json: string }[];
      const last = rows.at(-1);
      if (last === undefined) break;
      for (const row of rows) pack.run(packHistoryText(row.json), row.rowid);
      after = last.rowid;
    }
    db.prepare("INSERT OR REPLACE INTO fhirgen_meta (key, value) VALUES ('store_layout', ?)").run(LAYOUT);
  }).immediate();
}
