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
