/**
 * The embedded store's tables. Search indexing adds its own tables beside these (in the same
 * database, through `StoreWriteHook`), keyed by `(resource_type, id)`:
 *
 * - `resources`: one row per resource, its current version. `json` is the resource as stored
 *   (with `meta.versionId` and `meta.lastUpdated`), NULL when the resource is deleted (`deleted` = 1,
 *   a tombstone: reads answer 410, https://hl7.org/fhir/R4/http.html#delete).
 * - `resource_history`: every version ever written, the deletions included (`method` DELETE,
 *   `json` NULL), for vread and history (https://hl7.org/fhir/R4/http.html#history). The current
 *   version's row holds no text: it stands for `resources.json`, so the text is kept once. Older
 *   versions' rows hold theirs, deflated when that pays (a BLOB; history-text.ts). Files of the
 *   previous layout are migrated at open (sqlite-layout.ts).
 */
// Plain rowid tables with unique keys, not WITHOUT ROWID: rows hold whole resources (kilobytes),
// and SQLite advises WITHOUT ROWID only for small rows (https://sqlite.org/withoutrowid.html §4);
// with random UUID keys it made each insert rewrite large pages.
export const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS resources (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  json TEXT,
  UNIQUE (resource_type, id)
);
CREATE TABLE IF NOT EXISTS resource_history (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  method TEXT NOT NULL,
  json TEXT,
  UNIQUE (resource_type, id, version_id)
);
CREATE INDEX IF NOT EXISTS resource_history_time ON resource_history (last_updated);
CREATE INDEX IF NOT EXISTS resource_history_type_time ON resource_history (resource_type, last_updated);
`;
