/**
 * Writes a load's resources in store transactions as they come, committing at the batch size or
 * after `maxMs`, whichever comes first. The time bound matters beside a running server on SQLite:
 * while a transaction is open, the server's writes wait, and fail after SQLite's busy timeout (5 s),
 * so no transaction may last that long, however rich the resources.
 *
 * A resource the store refuses (a 4xx answer) must not cost the others: the transaction is rolled
 * back and its resources written again one transaction each, and the refused ones are returned.
 * Any other failure (the database gone) is thrown, with the transaction rolled back.
 */
import type { ResourceJson } from '../binding';
import { FhirHttpError } from '../outcome';
import type { ResourceStore } from '../store/types';
import type { InvalidRecord } from './loader';

export interface Pending {
  where: string;
  resource: ResourceJson;
}

export class BatchWriter {
  private pending: Pending[] = [];
  private openedAt: number | undefined;
  /** Resources committed by replays since the last `commit`. */
  private replayed = 0;

  constructor(
    private readonly store: ResourceStore,
    private readonly maxMs: number,
  ) {}

  /** Resources written since the last commit. */
  get size(): number {
    return this.pending.length + this.replayed;
  }

  /** Whether the open transaction has lasted `maxMs`. */
  get due(): boolean {
    return this.openedAt !== undefined && Date.now() - this.openedAt >= this.maxMs;
  }

  /** Writes the resource in the open transaction (opening one); returns what the store refused. */
  async add(pending: Pending): Promise<InvalidRecord[]> {
    if (this.openedAt === undefined) {
      await this.store.begin();
      this.openedAt = Date.now();
    }
    this.pending.push(pending);
    try {
      await write(this.store, pending.resource);
      return [];
    } catch (error) {
      await this.store.rollback();
      this.openedAt = undefined;
      if (!isRefusal(error)) throw error;
    }
    const batch = this.pending;
    this.pending = [];
    const refused: InvalidRecord[] = [];
    for (const one of batch) {
      try {
        await this.store.begin();
        await write(this.store, one.resource);
        await this.store.commit();
        this.replayed += 1;
      } catch (error) {
        await this.store.rollback();
        if (!isRefusal(error)) throw error;
        refused.push({ where: one.where, issues: error.issues });
      }
    }
    return refused;
  }

  /** Commits the open transaction; returns how many resources were committed since the last call. */
  async commit(): Promise<number> {
    if (this.openedAt !== undefined) {
      try {
        await this.store.commit();
      } catch (error) {
        await this.store.rollback();
        throw error;
      } finally {
        this.openedAt = undefined;
      }
    }
    const committed = this.pending.length + this.replayed;
    this.pending = [];
    this.replayed = 0;
    return committed;
  }

  /** Rolls back what is not committed (the load failed or was cut short). */
  async abandon(): Promise<void> {
    if (this.openedAt === undefined) return;
    this.openedAt = undefined;
    this.pending = [];
    await this.store.rollback();
  }
}

/** An update by id (idempotent: loading again makes new versions, not duplicates); create without id. */
function write(store: ResourceStore, resource: ResourceJson): Promise<unknown> {
  return Promise.resolve(
    typeof resource.id === 'string'
      ? store.update(resource.resourceType, resource.id, resource, { allowCreate: true })
      : store.create(resource.resourceType, resource),
  );
}

function isRefusal(error: unknown): error is FhirHttpError {
  return error instanceof FhirHttpError && error.status < 500;
}
