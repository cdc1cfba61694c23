/**
 * Group commit: writes that arrive together are committed together. Each write is queued with the
 * promise its caller awaits; once per turn of the event loop (`setImmediate`, after the I/O callbacks
 * that queued them) the store applies the whole queue in one transaction, each write in a savepoint of
 * its own so that a failing one (409, 412, a constraint) rolls back alone, and answers every caller
 * only after that transaction has committed. One commit then carries many writes: the journal's
 * pages, the commit record and the index pages they share are written once per batch, not per write.
 * The batch is not held open waiting for more writes (that would spin the event loop or add a timer's
 * latency): under load, requests that arrive while one batch commits form the next.
 */

/** One queued write: `apply` runs it inside the batch's transaction. */
export interface QueuedWrite<C> {
  apply(context: C): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What a write's savepoint ended with: its value, or the error that rolled it back. */
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How many batches were committed and how many writes they held (read by the writes bench). */
export interface CommitCounts {
  batches: number;
  writes: number;
  /** The most writes one batch held. */
  largest: number;
}

/**
 * The queue of one store. `commit` applies a batch and resolves with each write's outcome, in queue
 * order, once the transaction holding them has committed; it rejects when the batch as a whole failed
 * (no connection, a failed COMMIT), which fails every write in it. One batch commits at a time: writes
 * queued meanwhile wait for the next, which keeps instants and versions in queue order.
 */
export class WriteQueue<C> {
  readonly counts: CommitCounts = { batches: 0, writes: 0, largest: 0 };
  private queued: QueuedWrite<C>[] = [];
  private scheduled = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly commit: (writes: QueuedWrite<C>[]) => WriteOutcome[] | Promise<WriteOutcome[]>,
  ) {}

  get size(): number {
    return this.queued.length;
  }

  push<T>(apply: (context: C) => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ apply, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled && this.running === undefined) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  /**
   * Commits what is queued now; a store whose commits are synchronous (SQLite) has then answered
   * every queued write's outcome by the time this returns (the callers hear of it in a microtask).
   */
  drain(): Promise<void> {
    if (this.running !== undefined) return this.running;
    if (this.queued.length === 0) return Promise.resolve();
    const writes = this.queued;
    this.queued = [];
    let outcomes: WriteOutcome[] | Promise<WriteOutcome[]>;
    try {
      outcomes = this.commit(writes);
    } catch (error) {
      for (const write of writes) write.reject(error);
      return this.drain();
    }
    if (Array.isArray(outcomes)) {
      this.settle(writes, outcomes);
      return this.drain();
    }
    const running = outcomes.then(
      (settled) => this.settle(writes, settled),
      (error: unknown) => {
        for (const write of writes) write.reject(error);
      },
    );
    this.running = running.then(() => {
      this.running = undefined;
      return this.drain();
    });
    return this.running;
  }

  private settle(writes: QueuedWrite<C>[], outcomes: WriteOutcome[]): void {
    this.counts.batches += 1;
    this.counts.writes += writes.length;
    this.counts.largest = Math.max(this.counts.largest, writes.length);
    writes.forEach((write, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) write.resolve(outcome.value);
      else write.reject(outcome === undefined ? new Error('write not applied') : outcome.error);
    });
  }
}
