// The binary trace form: a msgpack stream of records. Record 0 is the header map (same object as the
// JSONL header, keys in canonical order so the file starts with the magic bytes 8x a6 "dmasim"); every
// other record is a positional array [opCode, t|nil, field1, field2, …, comment?] in OP_FIELDS order, with
// numeric codes for op names, directions (kernel values) and attrs (the kernel's bit mask). Trailing
// nils are dropped. See docs/trace-format.md for the tables.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Encoder } from '@msgpack/msgpack';
import { NEED_MORE, RecordDecoder } from './msgpack-decode.ts';
import { TraceFormatError, show } from './errors.ts';
import { DMA_ATTR_ALL_MASK, DMA_DIRECTION, attrsToMask, maskToAttrs } from './kernel-names.ts';
import type { DmaDir } from './kernel-names.ts';
import { DEFAULT_LIMITS, OP_FIELDS, OP_NAMES, checkField, checkOpRules, parseHeader, parseOp } from './schema.ts';
import type { FieldKind, SgEntry, TraceHeader, TraceLimits, TraceOp, Violation } from './schema.ts';
import { endSink, waitDrain } from './jsonl.ts';
import type { ByteSink } from './jsonl.ts';
import type { ChunkSource } from './lines.ts';

/** First bytes of every msgpack trace: a fixmap whose first key is the 6-byte string "dmasim". */
export const MSGPACK_MAGIC_KEY = [0xa6, 0x64, 0x6d, 0x61, 0x73, 0x69, 0x6d] as const;

export function looksLikeMsgpackTrace(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const b0 = head[0] as number;
  if (b0 < 0x81 || b0 > 0x8f) return false;
  for (let i = 0; i < MSGPACK_MAGIC_KEY.length; i++) if (head[1 + i] !== MSGPACK_MAGIC_KEY[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

const DIR_NAMES_BY_CODE: readonly (DmaDir | undefined)[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE'];
const OP_CODE: Readonly<Record<string, number>> = Object.fromEntries(OP_NAMES.map((n, i) => [n, i]));

function packValue(kind: FieldKind, v: unknown): unknown {
  switch (kind) {
    case 'dir': return DMA_DIRECTION[v as DmaDir];
    case 'attrs': return attrsToMask(v as Parameters<typeof attrsToMask>[0]);
    case 'sg': {
      const sg = v as SgEntry[];
      const flat: unknown[] = new Array<unknown>(sg.length * 3);
      for (let i = 0; i < sg.length; i++) {
        const e = sg[i] as SgEntry;
        flat[3 * i] = e.buf; flat[3 * i + 1] = e.offset; flat[3 * i + 2] = e.len;
      }
      return flat;
    }
    case 'violation': {
      const x = v as Violation;
      return [x.kind, x.op, x.dev, x.addr, x.size, x.message, x.hint];
    }
    default: return v;
  }
}

/** The positional record of a (validated, canonical) op. */
export function opToRecord(op: TraceOp): unknown[] {
  const o = op as unknown as Record<string, unknown>;
  const fields = OP_FIELDS[op.op];
  const rec: unknown[] = [OP_CODE[op.op], o['t'] ?? null];
  for (const fs of fields) {
    const v = o[fs.key];
    rec.push(v === undefined ? null : packValue(fs.kind, v));
  }
  rec.push(o['comment'] ?? null);
  while (rec.length > 2 && rec[rec.length - 1] === null) rec.pop();
  if (rec.length === 2 && rec[1] === null) rec.pop();
  return rec;
}

export interface MsgpackWriterOptions { limits?: TraceLimits; flushBytes?: number; validate?: boolean }

/** Streams a msgpack trace to a sink (e.g. fs.WriteStream), flushing every `flushBytes`. */
export class MsgpackWriter {
  private readonly encoder = new Encoder({ ignoreUndefined: true });
  private chunk: Uint8Array;
  private used = 0;
  private count = 0;
  private readonly limits: TraceLimits;
  private readonly validate: boolean;
  constructor(private readonly sink: ByteSink, header: TraceHeader, opts: MsgpackWriterOptions = {}) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.validate = opts.validate ?? true;
    this.chunk = new Uint8Array(opts.flushBytes ?? 64 * 1024);
    this.append(this.encoder.encodeSharedRef(parseHeader(header, 'header')));
  }
  get opsWritten(): number { return this.count; }
  write(op: TraceOp): Promise<void> | undefined {
    const canon = this.validate ? parseOp(op, `op ${this.count}`, this.limits) : op;
    this.append(this.encoder.encodeSharedRef(opToRecord(canon)));
    this.count++;
    if (this.used >= this.chunk.length >>> 1) return this.flush();
    return undefined;
  }
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const out = this.chunk.slice(0, this.used);
    this.used = 0;
    await waitDrain(this.sink, this.sink.write(out));
  }
  async close(): Promise<void> {
    await this.flush();
    await endSink(this.sink);
  }
  private append(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.chunk.length) {
      // Flush synchronously into the sink (backpressure is honoured at the next write's flush).
      if (this.used > 0) { this.sink.write(this.chunk.slice(0, this.used)); this.used = 0; }
      if (bytes.length > this.chunk.length) { this.sink.write(bytes.slice()); return; }
    }
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
  }
}

/** Encodes a whole trace in memory (tests, benchmarks, small traces). */
export function encodeMsgpackTrace(header: TraceHeader, ops: Iterable<TraceOp>, limits: TraceLimits = DEFAULT_LIMITS): Uint8Array {
  const parts: Uint8Array[] = [];
  const sink: ByteSink = { write(c) { parts.push(typeof c === 'string' ? Buffer.from(c) : c); return true; } };
  const w = new MsgpackWriter(sink, header, { limits });
  for (const op of ops) w.write(op);
  void w.flush();
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------
// Decoding

function unpackValue(kind: FieldKind, v: unknown, key: string, op: string, where: string, lim: TraceLimits): unknown {
  switch (kind) {
    case 'dir': {
      const d = typeof v === 'number' ? DIR_NAMES_BY_CODE[v] : undefined;
      if (d === undefined) throw new TraceFormatError(where, `${op}: "${key}" must be a direction code 0 (BIDIRECTIONAL), 1 (TO_DEVICE) or 2 (FROM_DEVICE), got ${show(v)}`);
      return d;
    }
    case 'attrs':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (v & ~DMA_ATTR_ALL_MASK) !== 0) {
        throw new TraceFormatError(where, `${op}: "${key}" must be an attribute bit mask within 0x${DMA_ATTR_ALL_MASK.toString(16)}, got ${show(v)}`);
      }
      return maskToAttrs(v);
    case 'sg': {
      if (!Array.isArray(v) || v.length === 0 || v.length % 3 !== 0 || v.length / 3 > lim.maxSgEntries) {
        throw new TraceFormatError(where, `${op}: "${key}" must be a flat array of 1 to ${lim.maxSgEntries} (buf, offset, len) triples, got ${Array.isArray(v) ? `${v.length} values` : show(v)}`);
      }
      const n = v.length / 3;
      const out: SgEntry[] = new Array<SgEntry>(n);
      for (let i = 0; i < n; i++) {
        out[i] = {
          buf: checkField('name', v[3 * i], `${key}[${i}].buf`, op, where, lim) as string,
          offset: checkField('size', v[3 * i + 1], `${key}[${i}].offset`, op, where, lim) as number,
          len: checkField('size', v[3 * i + 2], `${key}[${i}].len`, op, where, lim) as number,
        };
      }
      return out;
    }
    case 'violation': {
      if (!Array.isArray(v) || v.length !== 7) throw new TraceFormatError(where, `${op}: "${key}" must be [kind, op, dev, addr, size, message, hint], got ${show(v)}`);
      return checkField('violation', { kind: v[0], op: v[1], dev: v[2], addr: v[3], size: v[4], message: v[5], hint: v[6] }, key, op, where, lim);
    }
    default:
      return checkField(kind, v, key, op, where, lim);
  }
}

/** Turns one decoded positional record back into the canonical op object, checking every field. */
export function recordToOp(rec: unknown, where: string, lim: TraceLimits = DEFAULT_LIMITS, recLength = -1): TraceOp {
  if (!Array.isArray(rec) || rec.length < 1) throw new TraceFormatError(where, `expected an op record [opCode, t, fields…], got ${show(rec)}`);
  const len = recLength < 0 ? rec.length : recLength;
  const code = rec[0];
  const name = typeof code === 'number' ? OP_NAMES[code] : undefined;
  if (name === undefined) throw new TraceFormatError(where, `op code must be 0..${OP_NAMES.length - 1}, got ${show(code)}`);
  const fields = OP_FIELDS[name];
  if (len > fields.length + 3) throw new TraceFormatError(where, `${name}: record has ${len} values, at most ${fields.length + 3} expected`);
  const out: Record<string, unknown> = { op: name };
  const t: unknown = len > 1 ? rec[1] : undefined;
  if (t !== undefined && t !== null) out['t'] = checkField('ns', t, 't', name, where, lim);
  for (let i = 0; i < fields.length; i++) {
    const fs = fields[i]!;
    const v: unknown = 2 + i < len ? rec[2 + i] : undefined;
    if (v === undefined || v === null) {
      if (fs.optional) continue;
      throw new TraceFormatError(where, `${name}: missing "${fs.key}"`);
    }
    out[fs.key] = unpackValue(fs.kind, v, fs.key, name, where, lim);
  }
  const comment: unknown = 2 + fields.length < len ? rec[2 + fields.length] : undefined;
  if (comment !== undefined && comment !== null) out['comment'] = checkField('text', comment, 'comment', name, where, lim);
  const op = out as unknown as TraceOp;
  checkOpRules(op, where, lim);
  return op;
}

export interface MsgpackReadOptions {
  limits?: TraceLimits;
  /** Largest single record accepted, so a hostile length prefix cannot make us buffer without bound. */
  maxRecordBytes?: number;
}

export interface MsgpackChunkResult { ops: TraceOp[]; offsets: number[] }

/**
 * Incremental decoder: feed chunks, get the ops of every complete record. Keeps at most one incomplete
 * record buffered. `finish()` says where a truncated file stopped.
 */
export class MsgpackTraceDecoder {
  header: TraceHeader | undefined;
  private readonly rd: RecordDecoder;
  private readonly limits: TraceLimits;
  private readonly maxRecordBytes: number;
  private leftover: Uint8Array = new Uint8Array(0);
  private base = 0; // absolute offset of leftover[0]
  private recordCount = 0;
  private readonly scratch: unknown[] = new Array<unknown>(64).fill(null);

  constructor(private readonly name: string, opts: MsgpackReadOptions = {}) {
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.maxRecordBytes = opts.maxRecordBytes ?? 256 * 1024 * 1024;
    this.rd = new RecordDecoder({ maxItems: Math.max(3 * this.limits.maxSgEntries, 64), maxBytes: Math.min(this.maxRecordBytes, this.limits.maxStringLength * 4), maxDepth: 8 });
    this.rd.name = name;
  }

  /** Absolute offset of the first byte not yet decoded. */
  get offset(): number { return this.base; }

  feed(chunk: Uint8Array, out: MsgpackChunkResult): void {
    let buf: Uint8Array;
    if (this.leftover.length > 0) {
      buf = new Uint8Array(this.leftover.length + chunk.length);
      buf.set(this.leftover, 0);
      buf.set(chunk, this.leftover.length);
    } else {
      buf = chunk;
    }
    const rd = this.rd;
    rd.base = this.base;
    rd.setBuffer(buf, 0);
    let start = 0;
    while (start < buf.length) {
      let rec: unknown;
      let n = -1;
      rd.pos = start;
      try {
        // Op records decode into a reused array; anything else (the header, bad input) as a value.
        if (this.recordCount > 0) n = rd.arrayInto(this.scratch);
        rec = n >= 0 ? this.scratch : rd.value();
      } catch (e) {
        if (e === NEED_MORE) break;
        throw e;
      }
      if (this.recordCount === 0) {
        this.header = parseHeader(rec, `${this.name}: byte ${this.base + start}`);
      } else {
        let op: TraceOp;
        try {
          op = recordToOp(rec, '', this.limits, n);
        } catch (e) {
          // The location string is built only on error: formatting it per record costs ~10% of decode.
          if (e instanceof TraceFormatError) throw new TraceFormatError(`${this.name}: byte ${this.base + start}`, e.detail);
          throw e;
        }
        out.ops.push(op);
        out.offsets.push(this.base + start);
      }
      this.recordCount++;
      start = rd.pos;
    }
    if (buf.length - start > this.maxRecordBytes) {
      throw new TraceFormatError(`${this.name}: byte ${this.base + start}`, `record longer than ${this.maxRecordBytes} bytes`);
    }
    this.base += start;
    this.leftover = start === buf.length ? new Uint8Array(0) : buf.slice(start);
  }

  /** End of input: the byte offset where an incomplete last record starts, if any. */
  finish(): { truncatedAt?: number } {
    if (this.recordCount === 0) {
      throw new TraceFormatError(`${this.name}: byte 0`, this.leftover.length === 0 ? 'empty msgpack trace: expected the header record' : 'truncated before the end of the header record');
    }
    return this.leftover.length > 0 ? { truncatedAt: this.base } : {};
  }
}

export type MsgpackRecord =
  | { kind: 'header'; header: TraceHeader }
  | { kind: 'op'; op: TraceOp; byteOffset: number }
  | { kind: 'truncated'; at: number; bytes: number };

/**
 * Reads a msgpack trace from a stream of chunks in constant memory. A truncated file yields every
 * complete record, then `{kind:'truncated', at}` with the byte offset where it stopped; it does not throw.
 */
export async function* readMsgpack(chunks: ChunkSource, name: string, opts: MsgpackReadOptions = {}): AsyncGenerator<MsgpackRecord> {
  const dec = new MsgpackTraceDecoder(name, opts);
  let headerSent = false;
  let total = 0;
  const out: MsgpackChunkResult = { ops: [], offsets: [] };
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    total += chunk.length;
    dec.feed(chunk, out);
    if (!headerSent && dec.header) { yield { kind: 'header', header: dec.header }; headerSent = true; }
    for (let i = 0; i < out.ops.length; i++) yield { kind: 'op', op: out.ops[i] as TraceOp, byteOffset: out.offsets[i] as number };
    out.ops.length = 0;
    out.offsets.length = 0;
  }
  const end = dec.finish();
  if (!headerSent && dec.header) yield { kind: 'header', header: dec.header };
  if (end.truncatedAt !== undefined) yield { kind: 'truncated', at: end.truncatedAt, bytes: total };
}

export function readMsgpackFile(path: string, opts: MsgpackReadOptions = {}): AsyncGenerator<MsgpackRecord> {
  return readMsgpack(createReadStream(path, { highWaterMark: 256 * 1024 }), basename(path), opts);
}

/** Decodes a whole in-memory msgpack trace. */
export function decodeMsgpackTrace(bytes: Uint8Array, name = 'trace.msgpack', opts: MsgpackReadOptions = {}): { header: TraceHeader; ops: TraceOp[]; truncatedAt?: number } {
  const dec = new MsgpackTraceDecoder(name, opts);
  const out: MsgpackChunkResult = { ops: [], offsets: [] };
  dec.feed(bytes, out);
  const end = dec.finish();
  const header = dec.header as TraceHeader;
  return end.truncatedAt === undefined ? { header, ops: out.ops } : { header, ops: out.ops, truncatedAt: end.truncatedAt };
}
