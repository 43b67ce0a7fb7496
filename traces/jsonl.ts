// The JSONL trace form: a header line, then one operation per line (DESIGN.md, "Text trace form").
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { TraceFormatError } from './errors.ts';
import { splitLines } from './lines.ts';
import type { ChunkSource } from './lines.ts';
import { DEFAULT_LIMITS, parseHeader, parseOp } from './schema.ts';
import type { TraceHeader, TraceLimits, TraceOp } from './schema.ts';

export interface JsonlReadOptions { limits?: TraceLimits; maxLineBytes?: number }

/** A record of a JSONL trace: the header comes first, then the operations with their line numbers. */
export type JsonlRecord = { kind: 'header'; header: TraceHeader } | { kind: 'op'; op: TraceOp; lineNo: number };

/**
 * Reads a JSONL trace from a stream of chunks in constant memory. `name` is used in error locations
 * (`name:line`). Blank lines are allowed and ignored.
 */
export async function* readJsonl(chunks: ChunkSource, name: string, opts: JsonlReadOptions = {}): AsyncGenerator<JsonlRecord> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  let sawHeader = false;
  for await (const line of splitLines(chunks, name, opts.maxLineBytes)) {
    // A BOM some editors put before the first line is not part of the JSON.
    const text = (line.lineNo === 1 && line.text.charCodeAt(0) === 0xfeff ? line.text.slice(1) : line.text).trim();
    if (text.length === 0) continue;
    const where = `${name}:${line.lineNo}`;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new TraceFormatError(where, `not valid JSON (${(e as Error).message})`);
    }
    if (!sawHeader) {
      yield { kind: 'header', header: parseHeader(obj, where) };
      sawHeader = true;
    } else {
      yield { kind: 'op', op: parseOp(obj, where, limits), lineNo: line.lineNo };
    }
  }
  if (!sawHeader) throw new TraceFormatError(`${name}:1`, `empty trace: expected the header {"dmasim":"trace","version":1,...}`);
}

export function readJsonlFile(path: string, opts: JsonlReadOptions = {}): AsyncGenerator<JsonlRecord> {
  return readJsonl(createReadStream(path, { highWaterMark: 256 * 1024 }), basename(path), opts);
}

/** One canonical JSONL line (no newline) for a header: fixed key order. */
export function headerToJsonLine(h: TraceHeader): string {
  return JSON.stringify(parseHeader(h, 'header'));
}

/** One canonical JSONL line (no newline) for an op: validated, keys in OP_FIELDS order. */
export function opToJsonLine(op: TraceOp, limits: TraceLimits = DEFAULT_LIMITS): string {
  return JSON.stringify(parseOp(op, `op ${op.op}`, limits));
}

/** Minimal sink so the writers work with fs.WriteStream, process.stdout or an in-memory collector. */
export interface ByteSink {
  write(chunk: string | Uint8Array): boolean;
  once?(event: 'drain', listener: () => void): unknown;
  end?(cb?: () => void): unknown;
}

/** Waits for 'drain' when the sink asked us to (backpressure), so writing a huge trace stays bounded. */
export async function waitDrain(sink: ByteSink, ok: boolean): Promise<void> {
  if (ok || !sink.once) return;
  await new Promise<void>((resolve) => sink.once?.('drain', resolve));
}

export async function endSink(sink: ByteSink): Promise<void> {
  if (!sink.end) return;
  await new Promise<void>((resolve) => sink.end?.(() => resolve()));
}

/** Writes a JSONL trace: header first, then one op per line, batching small writes. */
export class JsonlWriter {
  private buf: string[] = [];
  private bufChars = 0;
  private count = 0;
  constructor(private readonly sink: ByteSink, header: TraceHeader, private readonly limits: TraceLimits = DEFAULT_LIMITS, private readonly flushChars = 64 * 1024) {
    this.push(headerToJsonLine(header));
  }
  get opsWritten(): number { return this.count; }
  /** Adds one op; resolves immediately unless the sink needs to drain. */
  write(op: TraceOp): Promise<void> | undefined {
    this.push(opToJsonLine(op, this.limits));
    this.count++;
    if (this.bufChars >= this.flushChars) return this.flush();
    return undefined;
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const s = this.buf.join('');
    this.buf = [];
    this.bufChars = 0;
    await waitDrain(this.sink, this.sink.write(s));
  }
  async close(): Promise<void> {
    await this.flush();
    await endSink(this.sink);
  }
  private push(line: string): void {
    this.buf.push(line, '\n');
    this.bufChars += line.length + 1;
  }
}

/** The whole JSONL text of a trace (for small traces and tests). */
export function toJsonl(header: TraceHeader, ops: Iterable<TraceOp>, limits: TraceLimits = DEFAULT_LIMITS): string {
  const lines = [headerToJsonLine(header)];
  for (const op of ops) lines.push(opToJsonLine(op, limits));
  return lines.join('\n') + '\n';
}
