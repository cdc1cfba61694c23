/**
 * The PostgreSQL store's tables: the embedded store's (store/schema.ts) with resources as `jsonb`,
 * the search index tables (search/sql/schema.ts), and a one-row clock. Text keys compare bytewise
 * (`COLLATE "C"`), as in SQLite, so ids and instants sort alike on both stores.
 */
import { createHash } from 'node:crypto';
import { indexSchema } from '../search/sql/schema';

export const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS resources (
  resource_type TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT COLLATE "C" NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  json JSONB,
  PRIMARY KEY (resource_type, id)
);
CREATE TABLE IF NOT EXISTS resource_history (
  resource_type TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated TEXT COLLATE "C" NOT NULL,
  method TEXT NOT NULL,
  json JSONB,
  PRIMARY KEY (resource_type, id, version_id)
);
CREATE INDEX IF NOT EXISTS resource_history_time ON resource_history (last_updated);
CREATE INDEX IF NOT EXISTS resource_history_type_time ON resource_history (resource_type, last_updated);
CREATE INDEX IF NOT EXISTS resources_type_current ON resources (resource_type, deleted, id);
CREATE TABLE IF NOT EXISTS fhirgen_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- The last lastUpdated handed out, in epoch milliseconds: every write takes the next one under this
-- row's lock, so instants increase strictly across every instance sharing the database.
CREATE TABLE IF NOT EXISTS fhirgen_clock (one INTEGER PRIMARY KEY CHECK (one = 1), ms BIGINT NOT NULL);
INSERT INTO fhirgen_clock (one, ms) VALUES (1, 0) ON CONFLICT (one) DO NOTHING;
-- The current version's text is kept once, in resources: its history row holds none (a store of the
-- previous layout held it twice). Older versions' rows keep theirs.
UPDATE resource_history h SET json = NULL FROM resources r WHERE h.json IS NOT NULL
  AND r.resource_type = h.resource_type AND r.id = h.id AND r.version_id = h.version_id;
${indexSchema('postgres')}
`;

/** Any constant shared by every instance: the key of the advisory lock held while the schema is made. */
export const SCHEMA_LOCK_KEY = 0x6668_6972;

/** Stored in `fhirgen_meta` once the statements above have run; a changed schema runs them again. */
export const SCHEMA_VERSION = createHash('sha256').update(POSTGRES_SCHEMA).digest('hex');
