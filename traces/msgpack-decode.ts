// A msgpack value decoder specialised for trace records: one pass over the bytes, no intermediate
// buffers, short strings interned (buffer, handle and device names repeat on every record). The
// general-purpose @msgpack/msgpack Decoder measured 25–45 MB/s on trace records; this one reaches
// several times that (see msgpack-bench.ts). Its output equals @msgpack/msgpack's for every value a
// trace can hold (checked by a property test).
import { TraceFormatError } from './errors.ts';

/** Thrown (one shared instance, no allocation) when the buffer ends inside a value. */
export const NEED_MORE = Object.freeze({ needMore: true });

const utf8 = new TextDecoder('utf-8');
const INTERN_SLOTS = 4096;
const INTERN_MAX = 32;

export interface DecodeLimits { maxItems: number; maxBytes: number; maxDepth: number }

export class RecordDecoder {
  private b: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));
  pos = 0;
  private end = 0;
  private readonly internBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INTERN_SLOTS);
  private readonly internStr: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);
  /** Where errors point: set by the caller to describe the buffer's absolute offset. */
  base = 0;
  name = 'trace.msgpack';

  constructor(private readonly lim: DecodeLimits) {}

  setBuffer(b: Uint8Array, pos: number): void {
    this.b = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = pos;
    this.end = b.length;
  }

  private fail(at: number, what: string): never {
    throw new TraceFormatError(`${this.name}: byte ${this.base + at}`, what);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw NEED_MORE;
  }

  /** Decodes one value at `pos`; throws NEED_MORE if the buffer ends first (pos is then undefined). */
  value(depth = 0): unknown {
    if (this.pos >= this.end) throw NEED_MORE;
    const b = this.b;
    const h = b[this.pos++] as number;
    if (h <= 0x7f) return h;
    if (h >= 0xe0) return h - 0x100;
    if (h <= 0x8f) return this.map(h & 0x0f, depth);
    if (h <= 0x9f) return this.array(h & 0x0f, depth);
    if (h <= 0xbf) return this.str(h & 0x1f);
    const v = this.view;
    let p: number;
    switch (h) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xcc: this.need(1); return b[this.pos++];
      case 0xcd: this.need(2); p = this.pos; this.pos += 2; return v.getUint16(p);
      case 0xce: this.need(4); p = this.pos; this.pos += 4; return v.getUint32(p);
      case 0xcf: this.need(8); p = this.pos; this.pos += 8; return v.getUint32(p) * 0x100000000 + v.getUint32(p + 4);
      case 0xd0: this.need(1); p = this.pos; this.pos += 1; return v.getInt8(p);
      case 0xd1: this.need(2); p = this.pos; this.pos += 2; return v.getInt16(p);
      case 0xd2: this.need(4); p = this.pos; this.pos += 4; return v.getInt32(p);
      case 0xd3: this.need(8); p = this.pos; this.pos += 8; return v.getInt32(p) * 0x100000000 + v.getUint32(p + 4);
      case 0xca: this.need(4); p = this.pos; this.pos += 4; return v.getFloat32(p);
      case 0xcb: this.need(8); p = this.pos; this.pos += 8; return v.getFloat64(p);
      case 0xd9: this.need(1); return this.str(b[this.pos++] as number);
      case 0xda: this.need(2); p = this.pos; this.pos += 2; return this.str(v.getUint16(p));
      case 0xdb: this.need(4); p = this.pos; this.pos += 4; return this.str(v.getUint32(p));
      case 0xdc: this.need(2); p = this.pos; this.pos += 2; return this.array(v.getUint16(p), depth);
      case 0xdd: this.need(4); p = this.pos; this.pos += 4; return this.array(v.getUint32(p), depth);
      case 0xde: this.need(2); p = this.pos; this.pos += 2; return this.map(v.getUint16(p), depth);
      case 0xdf: this.need(4); p = this.pos; this.pos += 4; return this.map(v.getUint32(p), depth);
      case 0xc4: this.need(1); return this.bin(b[this.pos++] as number);
      case 0xc5: this.need(2); p = this.pos; this.pos += 2; return this.bin(v.getUint16(p));
      case 0xc6: this.need(4); p = this.pos; this.pos += 4; return this.bin(v.getUint32(p));
      case 0xc1: return this.fail(this.pos - 1, 'byte 0xc1 is never used in msgpack: not a trace record');
      default: return this.fail(this.pos - 1, `msgpack extension type (head 0x${h.toString(16)}) is not used in traces`);
    }
  }

  /**
   * Decodes a top-level array's items into `into` (reused between records: no allocation for the
   * record itself) and returns its length; -1 if the value is not an array (then `pos` is unchanged).
   */
  arrayInto(into: unknown[]): number {
    if (this.pos >= this.end) throw NEED_MORE;
    const h = this.b[this.pos] as number;
    let n: number;
    if (h >= 0x90 && h <= 0x9f) { n = h & 0x0f; this.pos += 1; }
    else if (h === 0xdc) { this.pos += 1; this.need(2); n = this.view.getUint16(this.pos); this.pos += 2; }
    else return -1;
    if (n > into.length) return (this.pos = this.pos - (h === 0xdc ? 3 : 1)), -1;
    this.need(n);
    for (let i = 0; i < n; i++) into[i] = this.value(1);
    return n;
  }

  private array(n: number, depth: number): unknown[] {
    if (n > this.lim.maxItems) this.fail(this.pos, `array of ${n} items exceeds the limit of ${this.lim.maxItems}`);
    if (depth >= this.lim.maxDepth) this.fail(this.pos, `values nested deeper than ${this.lim.maxDepth}`);
    // Every item takes at least one byte: refuse early rather than allocate for a truncated claim.
    this.need(n);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(n: number, depth: number): Record<string, unknown> {
    if (n > 256) this.fail(this.pos, `map of ${n} entries exceeds the limit of 256`);
    if (depth >= this.lim.maxDepth) this.fail(this.pos, `values nested deeper than ${this.lim.maxDepth}`);
    this.need(2 * n);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const at = this.pos;
      const k = this.value(depth + 1);
      if (typeof k !== 'string' && typeof k !== 'number') this.fail(at, 'map key must be a string or a number');
      // defineProperty: a "__proto__" key must stay a plain key.
      Object.defineProperty(out, String(k), { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  private bin(n: number): Uint8Array {
    if (n > this.lim.maxBytes) this.fail(this.pos, `bin of ${n} bytes exceeds the limit of ${this.lim.maxBytes}`);
    this.need(n);
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private str(n: number): string {
    if (n > this.lim.maxBytes) this.fail(this.pos, `string of ${n} bytes exceeds the limit of ${this.lim.maxBytes}`);
    this.need(n);
    const b = this.b;
    const start = this.pos;
    this.pos += n;
    if (n === 0) return '';
    if (n > INTERN_MAX) return utf8.decode(b.subarray(start, start + n));
    let hash = n;
    let ascii = true;
    for (let i = start; i < start + n; i++) {
      const c = b[i] as number;
      if (c >= 0x80) { ascii = false; break; }
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    if (!ascii) return utf8.decode(b.subarray(start, start + n));
    const slot = (hash >>> 0) & (INTERN_SLOTS - 1);
    const cached = this.internBytes[slot];
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) if (cached[i] !== b[start + i]) { same = false; break; }
      if (same) return this.internStr[slot] as string;
    }
    let s = '';
    for (let i = start; i < start + n; i++) s += String.fromCharCode(b[i] as number);
    this.internBytes[slot] = b.slice(start, start + n);
    this.internStr[slot] = s;
    return s;
  }
}
