// One way to read any trace file: detects the encoding, yields the header first, then the ops, and
// reports what was skipped and where a truncated msgpack file stopped.
import { basename } from 'node:path';
import { detectFileFormat } from './detect.ts';
import type { TraceFormat } from './detect.ts';
import { importFtraceFile } from './ftrace.ts';
import type { FtraceImportOptions, FtraceImportStats } from './ftrace.ts';
import { readJsonlFile } from './jsonl.ts';
import { readMsgpackFile } from './msgpack.ts';
import { TraceFormatError } from './errors.ts';
import type { TraceHeader, TraceLimits, TraceOp } from './schema.ts';

export interface OpenTraceOptions { limits?: TraceLimits; ftrace?: FtraceImportOptions }

export interface TraceReader {
  readonly path: string;
  readonly format: TraceFormat;
  readonly header: TraceHeader;
  /** The operations in order (can be iterated once). */
  readonly ops: AsyncIterable<TraceOp>;
  /** After iteration: input understood as something other than a DMA operation (ftrace only). */
  readonly skipped: number;
  /** After iteration: byte offset where a truncated msgpack file stopped. */
  readonly truncatedAt: number | undefined;
  readonly ftraceStats: FtraceImportStats | undefined;
}

export async function openTrace(path: string, opts: OpenTraceOptions = {}): Promise<TraceReader> {
  const format = await detectFileFormat(path);
  if (format === 'ftrace') {
    const imp = await importFtraceFile(path, { ...opts.ftrace, ...(opts.limits ? { limits: opts.limits } : {}) });
    async function* ops(): AsyncGenerator<TraceOp> { yield* imp.ops; }
    return { path, format, header: imp.header, ops: ops(), skipped: imp.stats.skipped, truncatedAt: undefined, ftraceStats: imp.stats };
  }
  const lim = opts.limits ? { limits: opts.limits } : {};
  const state: { truncatedAt: number | undefined } = { truncatedAt: undefined };
  const records = format === 'jsonl' ? readJsonlFile(path, lim) : readMsgpackFile(path, lim);
  const first = await records.next();
  if (first.done || first.value.kind !== 'header') throw new TraceFormatError(basename(path), 'expected the trace header first');
  const header = first.value.header;
  async function* ops(): AsyncGenerator<TraceOp> {
    for await (const r of records) {
      if (r.kind === 'op') yield r.op;
      else if (r.kind === 'truncated') state.truncatedAt = r.at;
    }
  }
  return {
    path, format, header, ops: ops(), skipped: 0, ftraceStats: undefined,
    get truncatedAt() { return state.truncatedAt; },
  };
}

/** Reads a whole trace into memory (convert, tests, small traces). */
export async function readTrace(path: string, opts: OpenTraceOptions = {}): Promise<{ format: TraceFormat; header: TraceHeader; ops: TraceOp[]; skipped: number; truncatedAt?: number }> {
  const r = await openTrace(path, opts);
  const ops: TraceOp[] = [];
  for await (const op of r.ops) ops.push(op);
  const base = { format: r.format, header: r.header, ops, skipped: r.skipped };
  return r.truncatedAt === undefined ? base : { ...base, truncatedAt: r.truncatedAt };
}
