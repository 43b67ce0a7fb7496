// Splits a byte stream into lines in constant memory (one line buffered at most), counting line numbers.
import { TraceFormatError } from './errors.ts';

/** Where trace bytes come from: a Readable stream, an async generator, or an in-memory array. */
export type ChunkSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export interface Line { text: string; lineNo: number; byteOffset: number }

const NL = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Yields the lines of a stream of chunks (without the trailing '\n' or '\r\n'). A line longer than
 * `maxLineBytes` is refused rather than buffered without bound.
 */
export async function* splitLines(chunks: ChunkSource, where: string, maxLineBytes = 64 * 1024 * 1024): AsyncGenerator<Line> {
  let pending: Uint8Array[] = [];
  let pendingLen = 0;
  let lineNo = 0;
  let offset = 0; // byte offset of the start of the current line
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      let bytes: Uint8Array;
      if (pendingLen > 0) {
        pending.push(chunk.subarray(start, nl));
        bytes = Buffer.concat(pending);
        pending = [];
        pendingLen = 0;
      } else {
        bytes = chunk.subarray(start, nl);
      }
      lineNo++;
      if (bytes.length > maxLineBytes) throw new TraceFormatError(`${where}:${lineNo}`, `line longer than ${maxLineBytes} bytes`);
      yield { text: stripCr(decoder.decode(bytes)), lineNo, byteOffset: offset };
      offset += bytes.length + 1;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
      if (pendingLen > maxLineBytes) throw new TraceFormatError(`${where}:${lineNo + 1}`, `line longer than ${maxLineBytes} bytes`);
    }
  }
  if (pendingLen > 0) {
    lineNo++;
    yield { text: stripCr(decoder.decode(Buffer.concat(pending))), lineNo, byteOffset: offset };
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
