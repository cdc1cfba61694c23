/**
 * What a bulk load shows while it runs: on a terminal, a progress bar (cli-progress) of bytes
 * committed over the files' total, with resources/s and the invalid count, and the invalid records'
 * messages printed above it; elsewhere (a log, CI) a plain line every few seconds instead. Both on
 * stderr, so that stdout holds only the final summary.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { LoadProgress, LoadSummary } from './loader';

export interface Reporter {
  progress(progress: LoadProgress): void;
  /** One line about the load (an invalid record), kept clear of the bar. */
  line(text: string): void;
  stop(): void;
}

const MB = 1024 * 1024;

export function createReporter(stream: NodeJS.WriteStream, everyMs = 5000): Reporter {
  return stream.isTTY ? barReporter(stream) : plainReporter(stream, everyMs);
}

function barReporter(stream: NodeJS.WriteStream): Reporter {
  const bars = new MultiBar({
    stream,
    format:
      '{bar} {percentage}% | {doneMb}/{totalMb} MB | {rate} resources/s | {loaded} loaded, {invalid} invalid',
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
  });
  let bar: SingleBar | undefined;
  return {
    progress(progress) {
      const payload = {
        doneMb: (progress.bytesDone / MB).toFixed(1),
        totalMb: (progress.bytesTotal / MB).toFixed(1),
        rate: rate(progress.loaded, progress.seconds),
        loaded: progress.loaded,
        invalid: progress.invalid,
      };
      bar ??= bars.create(progress.bytesTotal, 0, payload);
      bar.update(progress.bytesDone, payload);
    },
    line: (text) => bars.log(`${text}\n`),
    stop: () => bars.stop(),
  };
}

function plainReporter(stream: NodeJS.WriteStream, everyMs: number): Reporter {
  let last = 0;
  return {
    progress(progress) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      const percent = progress.bytesTotal === 0 ? 100 : (100 * progress.bytesDone) / progress.bytesTotal;
      stream.write(
        `load: ${percent.toFixed(0)}% of ${(progress.bytesTotal / MB).toFixed(1)} MB, ${progress.loaded} loaded, ${progress.invalid} invalid, ${rate(progress.loaded, progress.seconds)} resources/s\n`,
      );
    },
    line: (text) => stream.write(`${text}\n`),
    stop: () => {},
  };
}

function rate(count: number, seconds: number): string {
  return seconds > 0 ? (count / seconds).toFixed(0) : '0';
}

/** The last line of a load: what it did, how fast, and what earlier runs had done. */
export function summaryLine(summary: LoadSummary): string {
  const parts = [
    `loaded ${summary.loaded} resources in ${summary.seconds.toFixed(1)} s (${rate(summary.loaded, summary.seconds)} resources/s)`,
    `${summary.invalid} invalid`,
  ];
  if (summary.loadedBefore > 0 || summary.invalidBefore > 0) {
    parts.push(`${summary.loadedBefore} loaded and ${summary.invalidBefore} invalid by earlier runs`);
  }
  if (summary.skipped.length > 0) parts.push(`${summary.skipped.length} file(s) already loaded, skipped`);
  return parts.join(', ');
}
