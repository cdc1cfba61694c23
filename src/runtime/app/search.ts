/**
 * Search in a generated project: the search module's parser on every version, and one index over the
 * shared embedded store, filled at each write with every mounted version's parameters. When the
 * search tables change (a regenerated project) or the store holds data written before indexing, the
 * store is indexed again at start.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../config';
import type { SearchParser } from '../http/search-parser';
import { createSearchParser, createVersionedSearchEngine } from '../search/adapters';
import { createIndexRows, createIndexTables, createSearchIndexer, reindexStore } from '../search/sql/indexer';
import type { FhirVersion, SearchTables } from '../search/table';
import type { TerminologySource } from '../search/terminology';
import type { StoreHooks } from '../store/create-store';
import type { PostgresStore } from '../store/postgres-store';
import { retryWhileBusy } from '../store/sqlite-busy';
import type { SqliteStore } from '../store/sqlite-store';
import type { ResourceStore } from '../store/types';
import type { VersionModule } from './types';

export interface SearchSettings {
  /** Page size when the client sends no `_count`. */
  defaultCount: number;
  /** The largest `_count` honoured (https://hl7.org/fhir/R4/search.html#count: a server may cap it). */
  maxCount: number;
}

export interface SearchWiring {
  parser: SearchParser;
  store: Required<StoreHooks>;
  /**
   * Indexes the store again when its index was built from other tables; returns the resources
   * indexed. On PostgreSQL it opens the store first, so an unreachable database fails here, at start.
   */
  reindexIfStale(store: ResourceStore): Promise<number>;
}

export function readSearchSettings(section: unknown): SearchSettings {
  const given = (typeof section === 'object' && section !== null ? section : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const count = (name: string, fallback: number) => {
    const value = given[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10_000) {
      problems.push(`search.${name} must be an integer from 1 to 10000, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  };
  for (const key of Object.keys(given)) {
    if (key !== 'defaultCount' && key !== 'maxCount') problems.push(`unknown setting "search.${key}"`);
  }
  const settings = { defaultCount: count('defaultCount', 20), maxCount: count('maxCount', 1000) };
  if (settings.defaultCount > settings.maxCount)
    problems.push('search.defaultCount must not exceed search.maxCount');
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}

/**
 * Changes when index rows are written differently: 2 numbers a parameter's rows in `grp`; 4 indexes
 * each resource once for every version, under index keys (search/sql/keys.ts), one row per value,
 * numbered in `n`.
 */
const INDEX_FORMAT = 4;

export function wireSearch(versions: VersionModule[], settings: SearchSettings): SearchWiring {
  const tables: Partial<Record<FhirVersion, SearchTables>> = {};
  const terminology: Partial<Record<FhirVersion, TerminologySource>> = {};
  for (const version of versions) {
    const id = version.binding.id as FhirVersion;
    tables[id] = version.searchTables as SearchTables;
    const source: TerminologySource = {};
    if (version.valueSets !== undefined) source.valueSets = version.valueSets;
    if (version.codeSystems !== undefined) source.codeSystems = version.codeSystems;
    terminology[id] = source;
  }
  const indexer = createSearchIndexer({ versions: tables });
  const indexRows = createIndexRows({ versions: tables });
  // Only what the indexer reads (the summary lists change no index row), and the format of its rows.
  const indexed = [
    INDEX_FORMAT,
    Object.values(tables).map((byType) =>
      Object.values(byType ?? {}).map((table) => [table.resourceType, table.params]),
    ),
  ];
  const fingerprint = createHash('sha256').update(JSON.stringify(indexed)).digest('hex');
  return {
    parser: createSearchParser({ versions: tables, ...settings }),
    store: {
      onWrite: (event, db) => indexer(event, db),
      indexRows,
      searchEngine: createVersionedSearchEngine(tables, terminology),
    },
    async reindexIfStale(resourceStore) {
      if (resourceStore.kind === 'postgres') {
        return (resourceStore as PostgresStore).reindexIfStale(fingerprint);
      }
      const store = resourceStore as SqliteStore;
      // Instances starting together on one file: see store/sqlite-busy.ts.
      return retryWhileBusy(() => {
        store.db.exec('CREATE TABLE IF NOT EXISTS fhirgen_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
        // The index tables exist before the first write: made inside a write's transaction instead, a
        // rollback of that write (a failed transaction Bundle) would drop them under the indexer.
        createIndexTables(store.db);
        const row = store.db.prepare("SELECT value FROM fhirgen_meta WHERE key = 'search_tables'").get() as
          | { value: string }
          | undefined;
        if (row?.value === fingerprint) return 0;
        const indexed = reindexStore(store.db, indexer);
        store.db
          .prepare(
            "INSERT INTO fhirgen_meta (key, value) VALUES ('search_tables', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          )
          .run(fingerprint);
        return indexed;
      });
    },
  };
}
