// `dmasim run --record F`: writes each operation to the file the moment it happens, with one write(2) per
// record (no user-space buffering), so a crash of the simulator loses at most the record being written.
// JSONL or msgpack by the file's extension (.msgpack/.mpk: msgpack, anything else: JSONL).
//
// What a recording reproduces: the sequence of DMA API calls, device and CPU accesses, their timing and
// buffer ownership. It does not reproduce data values (pixels, samples): writes are recorded as `byte: 0`
// fills, so a replay checks coherency (versions, ownership), not content.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { extname } from 'node:path';
import { Encoder } from '@msgpack/msgpack';
import { headerToJsonLine, opToJsonLine } from './jsonl.ts';
import { opToRecord } from './msgpack.ts';
import { parseHeader, parseOp } from './schema.ts';
import type { TraceHeader, TraceOp } from './schema.ts';
import type { LiveOpSink } from './live-ops.ts';

export type RecordFormat = 'jsonl' | 'msgpack';

/** The record format a path asks for. */
export function recordFormatFor(path: string): RecordFormat {
  const ext = extname(path).toLowerCase();
  return ext === '.msgpack' || ext === '.mpk' ? 'msgpack' : 'jsonl';
}

/** Where encoded records go: one call per record. */
export interface RecordSink {
  write(bytes: string | Uint8Array): void;
  close(): void;
}

/** A file written synchronously, record by record (`fsync: true` also forces each record to the device). */
export function fileRecordSink(path: string, opts: { fsync?: boolean } = {}): RecordSink {
  const fd = openSync(path, 'w');
  let open = true;
  return {
    write(bytes) {
      if (typeof bytes === 'string') writeSync(fd, bytes);
      else writeSync(fd, bytes);
      if (opts.fsync === true) fsyncSync(fd);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

export interface TraceRecorderOptions {
  format?: RecordFormat;
  /** Called after each record reached the sink (tests, progress). */
  onRecord?: (count: number) => void;
}

/** A LiveOps sink that writes the trace: the header at begin, then every operation as it comes. */
export class TraceRecorder implements LiveOpSink {
  readonly format: RecordFormat;
  private readonly encoder = new Encoder({ ignoreUndefined: true });
  private count = 0;
  private headerWritten = false;
  private closed = false;

  constructor(private readonly sink: RecordSink, private readonly opts: TraceRecorderOptions = {}) {
    this.format = opts.format ?? 'jsonl';
  }

  /** Records to a file; the format follows the extension unless given. */
  static toFile(path: string, opts: TraceRecorderOptions & { fsync?: boolean } = {}): TraceRecorder {
    return new TraceRecorder(fileRecordSink(path, opts.fsync !== undefined ? { fsync: opts.fsync } : {}), { ...opts, format: opts.format ?? recordFormatFor(path) });
  }

  /** Operations written so far (the header not counted). */
  get recorded(): number {
    return this.count;
  }

  begin(header: TraceHeader): void {
    this.writeHeader(header);
  }

  writeHeader(header: TraceHeader): void {
    if (this.headerWritten) throw new Error('TraceRecorder: the header was already written');
    this.headerWritten = true;
    this.sink.write(this.format === 'jsonl' ? headerToJsonLine(header) + '\n' : this.encoder.encode(parseHeader(header, 'header')));
  }

  op(op: TraceOp): void {
    this.write(op);
  }

  /** Validates and writes one operation (a malformed op is a bug of the caller: it throws). */
  write(op: TraceOp): void {
    if (!this.headerWritten) throw new Error('TraceRecorder: write the header first');
    if (this.closed) throw new Error('TraceRecorder: write after close');
    if (this.format === 'jsonl') this.sink.write(opToJsonLine(op) + '\n');
    else this.sink.write(this.encoder.encode(opToRecord(parseOp(op, `op ${this.count}`))));
    this.count++;
    this.opts.onRecord?.(this.count);
  }

  end(): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close();
  }
}
