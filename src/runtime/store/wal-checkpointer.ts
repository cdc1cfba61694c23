import { Worker } from 'node:worker_threads';

/**
 * Checkpoints of a SQLite WAL file on a worker thread of their own, so that copying committed pages
 * back into the database file and syncing it (https://sqlite.org/wal.html#ckpt) no longer runs
 * inside a request's write: with SQLite's automatic checkpoint, one write in a few hundred paid for
 * all of them (about a third of the store's time per create, measured).
 *
 * Every `intervalMs` the worker runs a PASSIVE checkpoint, which never blocks the server's writes.
 * Under a steady stream of writes that alone never lets the WAL start over, so once the WAL holds
 * `restartPages` pages the worker follows with a TRUNCATE checkpoint: it holds writers back only
 * while it copies what the PASSIVE one left and syncs (a few milliseconds), then empties the WAL
 * file, which the next write starts filling from its beginning.
 *
 * When the worker cannot start or fails, the store goes back to SQLite's automatic checkpoints
 * (`onFailure`), so the WAL never grows unchecked.
 */
export interface WalCheckpointerOptions {
  file: string;
  intervalMs?: number;
  restartPages?: number;
  /** Told once when the worker cannot run; the caller restores automatic checkpoints. */
  onFailure: (error: Error) => void;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
function close() {
  clearInterval(timer);
  if (db.open) db.close();
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
}
const timer = setInterval(() => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive.log >= workerData.restartPages) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    // Another process's checkpoint or a long write: try again next time.
    if (error.code === 'SQLITE_BUSY') return;
    close();
    throw error;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  close();
  parentPort.close();
});
`;

/** How long `stop` waits for the worker to close its connection (it may be starting, or checkpointing). */
const STOP_WAIT_MS = 10_000;

export class WalCheckpointer {
  private readonly worker: Worker;
  /** Set to 1 by the worker once its connection is closed. */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private stopped = false;

  constructor(options: WalCheckpointerOptions) {
    const workerData = {
      file: options.file,
      driver: require.resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 200,
      restartPages: options.restartPages ?? 16_000,
      closed: this.closed.buffer,
    };
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    // The server's lifetime decides, not the worker's: it must never keep a process alive by itself.
    this.worker.unref();
    this.worker.once('error', (error) => {
      if (!this.stopped) options.onFailure(error);
      this.stopped = true;
    });
  }

  /**
   * Ends the worker and returns once its connection is closed, so that the caller's own close is the
   * last one (SQLite then checkpoints and removes the WAL at once, not later behind the caller's back,
   * while it may be deleting the folder). Blocks for at most a checkpoint in progress.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage('stop');
    Atomics.wait(this.closed, 0, 0, STOP_WAIT_MS);
  }
}
