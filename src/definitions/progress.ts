import { Presets, SingleBar } from 'cli-progress';

/** Reports download progress; a no-op unless asked for and stderr is a terminal. */
export interface Progress {
  start(total: number): void;
  advance(bytes: number): void;
  stop(): void;
}

const SILENT: Progress = { start() {}, advance() {}, stop() {} };

/** A bar only on a TTY: logs and CI output stay free of carriage-return noise. */
export function createProgress(label: string, wanted: boolean): Progress {
  if (!wanted || !process.stderr.isTTY) return SILENT;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% {value}/{total} bytes`,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  let received = 0;
  let expected = 0;
  return {
    start: (total) => {
      expected = total;
      bar.start(Math.max(total, 1), 0);
    },
    advance: (bytes) => {
      received += bytes;
      // Without a Content-Length the total grows with what arrived.
      if (received > expected) bar.setTotal(received);
      bar.update(received);
    },
    stop: () => bar.stop(),
  };
}
