/**
 * A readers-writer lock: a transaction Bundle holds the store exclusively while its entries are
 * awaited one by one, so that no other request sees or interleaves with its uncommitted writes
 * (https://hl7.org/fhir/R4/http.html#transaction: all or nothing, as one unit).
 */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: { exclusive: boolean; wake: () => void }[] = [];

  async shared<T>(work: () => Promise<T>): Promise<T> {
    if (this.writer || this.waiting.length > 0) await this.wait(false);
    else this.readers++;
    try {
      return await work();
    } finally {
      this.readers--;
      this.next();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.writer || this.readers > 0 || this.waiting.length > 0) await this.wait(true);
    else this.writer = true;
    try {
      return await work();
    } finally {
      this.writer = false;
      this.next();
    }
  }

  /** Waiters are served in arrival order; the counters are taken for them before they wake. */
  private wait(exclusive: boolean): Promise<void> {
    return new Promise((wake) => this.waiting.push({ exclusive, wake }));
  }

  private next(): void {
    while (!this.writer && this.waiting.length > 0) {
      const head = this.waiting[0];
      if (head === undefined) return;
      if (head.exclusive) {
        if (this.readers > 0) return;
        this.waiting.shift();
        this.writer = true;
        head.wake();
        return;
      }
      this.waiting.shift();
      this.readers++;
      head.wake();
    }
  }
}
