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
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive.log >= workerData.restartPages) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (error) {
    // Another process's checkpoint or a long write: try again next time.
    if (error.code === 'SQLITE_BUSY') return;
    clearInterval(timer);
    db.close();
    throw error;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(options: WalCheckpointerOptions) {
    const workerData = {
      file: options.file,
      driver: require.resolve('better-sqlite3'),
      intervalMs: options.intervalMs ?? 200,
      restartPages: options.restartPages ?? 16_000,
    };
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    // The server's lifetime decides, not the worker's: it must never keep a process alive by itself.
    this.worker.unref();
    this.worker.once('error', (error) => {
      if (!this.stopped) options.onFailure(error);
      this.stopped = true;
    });
  }

  /** Runs a last PASSIVE checkpoint and ends the worker; resolves when it has exited. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage('stop');
    await exited;
  }
}
