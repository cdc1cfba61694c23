/**
 * Makes the store the configuration asks for. The PostgreSQL store is loaded only when chosen: a
 * server on SQLite never loads its module nor the `pg` driver.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ServerConfig } from '../config';
import type { IndexRowsOf } from '../search/sql/indexer';
import type { PostgresStore } from './postgres-store';
import { SqliteStore, type StoreSearchEngine, type StoreWriteHook } from './sqlite-store';
import type { ResourceStore } from './types';

/** The search module's parts for each kind of store: SQLite's write hook, PostgreSQL's index rows. */
export interface StoreHooks {
  onWrite?: StoreWriteHook;
  indexRows?: IndexRowsOf;
  searchEngine?: StoreSearchEngine;
}

export function createStore(config: ServerConfig['store'], hooks: StoreHooks = {}): ResourceStore {
  if (config.kind === 'postgres') {
    const { PostgresStore: Store } = require('./postgres-store') as { PostgresStore: typeof PostgresStore };
    return new Store({
      url: config.url,
      poolSize: config.poolSize,
      ...(hooks.indexRows === undefined ? {} : { indexRows: hooks.indexRows }),
      ...(hooks.searchEngine === undefined ? {} : { searchEngine: hooks.searchEngine }),
    });
  }
  if (config.kind === 'sqlite') mkdirSync(path.dirname(path.resolve(config.path)), { recursive: true });
  const location = config.kind === 'memory' ? ':memory:' : config.path;
  return new SqliteStore({
    location,
    ...(hooks.onWrite === undefined ? {} : { onWrite: hooks.onWrite }),
    ...(hooks.searchEngine === undefined ? {} : { searchEngine: hooks.searchEngine }),
  });
}
