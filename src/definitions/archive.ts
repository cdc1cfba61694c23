import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { FhirgenError } from '../errors';

/**
 * Reads every regular file of a gzipped tar archive into memory, keyed by its path inside the archive.
 * A truncated or corrupt archive is a CORRUPT_ARCHIVE error naming the file.
 */
export async function readTarball(file: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File') {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => files.set(normaliseEntryPath(entry.path), Buffer.concat(chunks)));
    },
  });
  let sawEnd = false;
  parser.on('end', () => {
    sawEnd = true;
  });
  try {
    await pipeline(createReadStream(file), parser);
  } catch (cause) {
    throw corrupt(file, cause);
  }
  if (!sawEnd) throw corrupt(file);
  return files;
}

function normaliseEntryPath(entryPath: string): string {
  return entryPath.replace(/\\/g, '/').replace(/^\.\//, '');
}

function corrupt(file: string, cause?: unknown): FhirgenError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new FhirgenError('CORRUPT_ARCHIVE', `the package archive is corrupt or truncated${reason}`, {
    location: file,
    hint: 'delete it and fetch it again',
    cause,
  });
}
