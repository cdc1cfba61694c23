/**
 * The lines of a file, read as a stream from a byte offset: each with its 1-based line number and
 * the byte offset just past it, which is where a later run resumes. A split on the newline byte
 * rather than node:readline, because readline gives no byte positions (and `\r\n` and `\n` take a
 * different number of bytes). Memory holds one chunk and one line at a time.
 */
import { createReadStream } from 'node:fs';

export interface Line {
  /** Without its line ending (`\n` or `\r\n`). */
  text: string;
  /** 1-based line number in the file. */
  number: number;
  /** The byte offset just after this line's newline (or the end of the file). */
  end: number;
}

export interface LinePosition {
  /** Byte offset to start reading at: 0, or the `end` of a line read before. */
  offset: number;
  /** How many lines lie before `offset`. */
  line: number;
}

const NEWLINE = 0x0a;
const RETURN = 0x0d;

export async function* readLines(
  file: string,
  from: LinePosition = { offset: 0, line: 0 },
): AsyncGenerator<Line> {
  let offset = from.offset;
  let number = from.line;
  // Bytes of a line that started in an earlier chunk; usually empty.
  let pending: Buffer[] = [];
  const stream = createReadStream(file, { start: from.offset, highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, at);
      const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      offset += bytes.length + 1;
      number += 1;
      yield { text: decode(bytes), number, end: offset };
      start = at + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) {
    const bytes = Buffer.concat(pending);
    yield { text: decode(bytes), number: number + 1, end: offset + bytes.length };
  }
}

function decode(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === RETURN ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}
