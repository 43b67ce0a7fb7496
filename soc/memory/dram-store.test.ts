import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Dram, DRAM_PAGE_BYTES, MemoryRangeError } from './dram-store.ts';
import { readU32, writeU32 } from './memory-target.ts';

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const BASE = 0x4000_0000;

describe('Dram', () => {
  it('reads zeros from untouched pages without allocating', () => {
    const d = new Dram(BASE, GiB);
    const buf = new Uint8Array(3 * DRAM_PAGE_BYTES).fill(0xaa);
    d.read(BASE + 12345, buf, 0, buf.length);
    expect(buf.every((b) => b === 0)).toBe(true);
    expect(d.residentBytes()).toBe(0);
  });

  it('keeps 16 MiB touched in a 1 GiB DRAM to about 16 MiB of host memory', () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const d = new Dram(BASE, GiB);
    const chunk = new Uint8Array(MiB).fill(0x5a);
    // 16 MiB spread over the whole GiB: one MiB every 64 MiB, starting off page alignment.
    for (let i = 0; i < 16; i++) d.write(BASE + i * 64 * MiB + 100, chunk, 0, chunk.length);
    expect(d.residentBytes()).toBeLessThanOrEqual(16 * MiB + 16 * DRAM_PAGE_BYTES);
    expect(d.residentBytes()).toBeGreaterThanOrEqual(16 * MiB);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(rssGrowth).toBeLessThan(100 * MiB);
    const probe = new Uint8Array(4);
    d.read(BASE + 15 * 64 * MiB + 100 + MiB - 4, probe, 0, 4);
    expect([...probe]).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
  });

  it('round-trips data across page boundaries', () => {
    const d = new Dram(BASE, 4 * MiB);
    const src = new Uint8Array(2 * DRAM_PAGE_BYTES + 777);
    for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;
    const at = BASE + DRAM_PAGE_BYTES - 300;
    d.write(at, src, 0, src.length);
    const out = new Uint8Array(src.length + 10);
    d.read(at, out, 5, src.length);
    expect(out.subarray(5, 5 + src.length)).toEqual(src);
    expect(d.residentPages()).toBe(4);
  });

  it('matches a flat array model for any sequence of writes, fills and reads', () => {
    const size = 4 * DRAM_PAGE_BYTES;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ kind: fc.constantFrom('write', 'fill'), off: fc.nat(size - 1), len: fc.nat(DRAM_PAGE_BYTES + 100), v: fc.nat(255) }),
          { maxLength: 12 },
        ),
        (ops) => {
          const d = new Dram(BASE, size);
          const model = new Uint8Array(size);
          for (const op of ops) {
            const len = Math.min(op.len, size - op.off);
            if (op.kind === 'fill') {
              d.fill(BASE + op.off, len, op.v);
              model.fill(op.v, op.off, op.off + len);
            } else {
              const src = new Uint8Array(len).map((_, i) => (i + op.v) & 0xff);
              d.write(BASE + op.off, src, 0, len);
              model.set(src, op.off);
            }
          }
          const out = new Uint8Array(size);
          d.read(BASE, out, 0, size);
          // Buffer.equals: a deep toEqual over 256 KiB is needlessly slow.
          expect(Buffer.from(out.buffer).equals(Buffer.from(model.buffer))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fills across pages, and a zero fill of untouched pages allocates nothing', () => {
    const d = new Dram(BASE, MiB);
    d.fill(BASE, MiB, 0);
    expect(d.residentBytes()).toBe(0);
    d.fill(BASE + DRAM_PAGE_BYTES - 2, 4, 0xee);
    const out = new Uint8Array(6);
    d.read(BASE + DRAM_PAGE_BYTES - 3, out, 0, 6);
    expect([...out]).toEqual([0, 0xee, 0xee, 0xee, 0xee, 0]);
    expect(d.residentPages()).toBe(2);
  });

  it('reads and writes little-endian words', () => {
    const d = new Dram(BASE, MiB);
    writeU32(d, BASE + DRAM_PAGE_BYTES - 2, 0xdeadbeef);
    expect(readU32(d, BASE + DRAM_PAGE_BYTES - 2)).toBe(0xdeadbeef);
    const b = new Uint8Array(1);
    d.read(BASE + DRAM_PAGE_BYTES - 2, b, 0, 1);
    expect(b[0]).toBe(0xef);
  });

  it('refuses accesses outside its range', () => {
    const d = new Dram(BASE, MiB);
    expect(() => d.read(BASE - 1, new Uint8Array(4), 0, 4)).toThrow(MemoryRangeError);
    expect(() => d.write(BASE + MiB - 2, new Uint8Array(4), 0, 4)).toThrow(/outside 0x0000000040000000/);
  });

  it('supports sizes of many GiB with addresses above 2^32', () => {
    const d = new Dram(0x8_0000_0000, 16 * GiB);
    writeU32(d, 0x8_0000_0000 + 15 * GiB + 4, 0x12345678);
    expect(readU32(d, 0x8_0000_0000 + 15 * GiB + 4)).toBe(0x12345678);
    expect(d.residentPages()).toBe(1);
  });
});

/** A rule-made byte stream: byte k of the source is a hash of (seed, k); serves words only when `words`. */
class HashSource {
  asked = 0;
  constructor(
    private readonly seed: number,
    private readonly words = true,
  ) {}
  byte(k: number): number {
    return (Math.imul(k + 1, 0x9e3779b1) ^ this.seed) >>> 24;
  }
  bytesAt(off: number, dst: Uint8Array, dstOff: number, n: number): void {
    this.asked += n;
    for (let k = 0; k < n; k++) dst[dstOff + k] = this.byte(off + k);
  }
  wordsAt(off: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
    if (!this.words) return false;
    this.asked += 4 * nWords;
    for (let w = 0; w < nWords; w++) {
      const k = off + 4 * w;
      dst[dstWord + w] = this.byte(k) | (this.byte(k + 1) << 8) | (this.byte(k + 2) << 16) | (this.byte(k + 3) << 24);
    }
    return true;
  }
}

/** Byte equality without a per-element deep compare (the arrays here are up to 200 KB). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('Dram bytes kept as their source', () => {
  it('reads, word reads and writes over sourced ranges agree with the bytes written out', () => {
    const SPAN = 3 * DRAM_PAGE_BYTES;
    const range = { off: fc.integer({ min: 0, max: SPAN - 1 }), len: fc.integer({ min: 0, max: 70_000 }) };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('from' as const), ...range, seed: fc.integer({ min: 1, max: 6 }), srcOff: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({ kind: fc.constant('write' as const), off: range.off, len: fc.integer({ min: 0, max: 3000 }), seed: fc.integer({ min: 1, max: 5 }), srcOff: fc.constant(0) }),
      fc.record({ kind: fc.constant('fill' as const), ...range, seed: fc.integer({ min: 0, max: 255 }), srcOff: fc.constant(0) }),
      fc.record({ kind: fc.constant('read' as const), ...range, seed: fc.constant(0), srcOff: fc.constant(0) }),
      fc.record({ kind: fc.constant('words' as const), off: fc.integer({ min: 0, max: SPAN / 4 - 8 }), len: fc.integer({ min: 1, max: 8 }), seed: fc.constant(0), srcOff: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const d = new Dram(BASE, SPAN);
        const model = new Uint8Array(SPAN);
        // Source 6 serves no words: its lines are read as bytes.
        const sources = [1, 2, 3, 4, 5, 6].map((s) => new HashSource(s, s !== 6));
        for (const o of ops) {
          const len = Math.min(o.len, SPAN - o.off);
          if (o.kind === 'from') {
            const src = sources[o.seed - 1]!;
            d.writeFrom(BASE + o.off, len, src, o.srcOff);
            src.bytesAt(o.srcOff, model, o.off, len);
          } else if (o.kind === 'write') {
            const bytes = new Uint8Array(len);
            new HashSource(o.seed + 10).bytesAt(o.off, bytes, 0, len);
            d.write(BASE + o.off, bytes, 0, len);
            model.set(bytes, o.off);
          } else if (o.kind === 'fill') {
            d.fill(BASE + o.off, len, o.seed);
            model.fill(o.seed, o.off, o.off + len);
          } else if (o.kind === 'read') {
            const got = new Uint8Array(len);
            d.read(BASE + o.off, got, 0, len);
            expect(same(got, model.subarray(o.off, o.off + len))).toBe(true);
          } else {
            const words = new Int32Array(o.len);
            if (d.readWords(BASE + o.off * 4, words, 0, o.len)) expect(same(new Uint8Array(words.buffer), model.subarray(o.off * 4, o.off * 4 + o.len * 4))).toBe(true);
          }
        }
        const all = new Uint8Array(SPAN);
        d.read(BASE, all, 0, SPAN);
        expect(same(all, model)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('allocates no page for sourced bytes and asks the source only for what is read', () => {
    const d = new Dram(BASE, GiB);
    const src = new HashSource(7);
    d.writeFrom(BASE + 10 * MiB, 3 * MiB, src, 0);
    expect(d.residentBytes()).toBe(0);
    const line = new Int32Array(8);
    expect(d.readWords(BASE + 10 * MiB + 1920, line, 0, 8)).toBe(true);
    const want = new Uint8Array(32);
    new HashSource(7).bytesAt(1920, want, 0, 32);
    expect(same(new Uint8Array(line.buffer), want)).toBe(true);
    expect(src.asked).toBe(32);
    expect(d.sourcedRanges()).toBe(1);
    // Written over, piece by piece, the range shrinks and goes.
    d.fill(BASE + 10 * MiB, MiB, 0);
    d.fill(BASE + 12 * MiB, MiB, 0);
    expect(d.sourcedRanges()).toBe(1);
    d.fill(BASE + 11 * MiB, MiB, 1);
    expect(d.sourcedRanges()).toBe(0);
  });

  it('writes its ranges out as bytes when a store is cut into very many of them', () => {
    const d = new Dram(BASE, 4 * MiB);
    const src = new HashSource(3);
    for (let i = 0; i < 5000; i++) d.writeFrom(BASE + i * 64, 32, src, i * 32);
    expect(d.sourcedRanges()).toBeLessThan(5000);
    const got = new Uint8Array(32);
    const want = new Uint8Array(32);
    for (const i of [0, 17, 2999, 4999]) {
      d.read(BASE + i * 64, got, 0, 32);
      src.bytesAt(i * 32, want, 0, 32);
      expect(same(got, want)).toBe(true);
    }
  });

  it('rejects a source write outside DRAM, naming where', () => {
    const d = new Dram(BASE, MiB);
    expect(() => d.writeFrom(BASE + MiB - 4, 8, new HashSource(1), 0)).toThrow(MemoryRangeError);
    expect(() => d.writeFrom(BASE + 0.5, 8, new HashSource(1), 0)).toThrow(/writeFrom/);
  });
});
