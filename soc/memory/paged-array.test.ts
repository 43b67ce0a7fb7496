import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { PAGE_ELEMENTS, PagedArray } from './paged-array.ts';

const BASE = 0x4000_0000;

interface ModelOp {
  kind: string;
  off: number;
  len: number;
  v: number;
}

/**
 * Applies `ops` ('write', 'fill', 'read', 'words') to a version array of `size` elements at BASE and to a flat
 * model, checking every read (and each uniformValue it implies) against the model; returns the model.
 */
function driveAgainstModel(a: PagedArray<Uint32Array>, size: number, pageElements: number, ops: ModelOp[]): Uint32Array {
  const model = new Uint32Array(size);
  let next = 10;
  for (const o of ops) {
    const len = Math.min(o.len, size - o.off);
    if (o.kind === 'fill') {
      a.fill(BASE + o.off, len, o.v);
      model.fill(o.v, o.off, o.off + len);
    } else if (o.kind === 'write') {
      const src = Uint32Array.from({ length: len }, () => next++);
      a.write(BASE + o.off, src, 0, len);
      model.set(src, o.off);
    } else if (o.kind === 'words') {
      const n = Math.min(len, pageElements - (o.off % pageElements));
      const words = new Int32Array(n);
      if (a.readWords(BASE + o.off, words, 0, n)) expect(Array.from(new Uint32Array(words.buffer))).toEqual(Array.from(model.subarray(o.off, o.off + n)));
    } else {
      const dst = new Uint32Array(len);
      a.read(BASE + o.off, dst, 0, len);
      expect(Array.from(dst)).toEqual(Array.from(model.subarray(o.off, o.off + len)));
      const run = model.subarray(o.off, o.off + len);
      const u = a.uniformValue(BASE + o.off, len);
      if (u >= 0) expect(run.every((x) => x === u)).toBe(true);
      // A run of one value in untouched, uniform or run pages is always recognised.
      if (len > 0 && run.every((x) => x === run[0]) && a.residentPages() === 0) expect(u).toBe(run[0]);
    }
  }
  return model;
}

describe('PagedArray small and bulk copies', () => {
  it('round-trips short writes inside a page and across a page boundary', () => {
    const a = new PagedArray((n) => new Uint8Array(n), BASE, 4 * PAGE_ELEMENTS, 'dram');
    const src = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    a.write(BASE + 100, src, 0, 64);
    a.write(BASE + PAGE_ELEMENTS - 10, src, 3, 40); // straddles pages 0 and 1
    const dst = new Uint8Array(80);
    a.read(BASE + 100, dst, 5, 64);
    expect(Array.from(dst.subarray(5, 69))).toEqual(Array.from(src));
    a.read(BASE + PAGE_ELEMENTS - 10, dst, 0, 40);
    expect(Array.from(dst.subarray(0, 40))).toEqual(Array.from(src.subarray(3, 43)));
  });

  it('reads zeros from untouched pages for short and long reads, allocating nothing', () => {
    const a = new PagedArray((n) => new Uint32Array(n), BASE, 4 * PAGE_ELEMENTS, 'versions');
    const dst = new Uint32Array(200).fill(7);
    a.read(BASE + 3 * PAGE_ELEMENTS + 8, dst, 1, 32);
    a.read(BASE + 8, dst, 100, 100);
    expect(dst[0]).toBe(7);
    expect(Array.from(dst.subarray(1, 33)).every((v) => v === 0)).toBe(true);
    expect(Array.from(dst.subarray(100)).every((v) => v === 0)).toBe(true);
    expect(a.residentPages()).toBe(0);
  });

  it('keeps short and bulk writes of version planes consistent with fill', () => {
    const a = new PagedArray((n) => new Uint32Array(n), BASE, 4 * PAGE_ELEMENTS, 'versions');
    a.fill(BASE, 1000, 5);
    a.write(BASE + 10, Uint32Array.of(9, 9, 9), 0, 3);
    const dst = new Uint32Array(1000);
    a.read(BASE, dst, 0, 1000);
    expect(dst[9]).toBe(5);
    expect(Array.from(dst.subarray(10, 13))).toEqual([9, 9, 9]);
    expect(dst[13]).toBe(5);
    expect(dst[999]).toBe(5);
  });

  it('throws a range error naming the store for an access outside it', () => {
    const a = new PagedArray((n) => new Uint8Array(n), BASE, PAGE_ELEMENTS, 'dram');
    expect(() => a.read(BASE + PAGE_ELEMENTS - 4, new Uint8Array(8), 0, 8)).toThrow(/dram\.read: access of 8 bytes/);
  });
});

describe('PagedArray uniform pages', () => {
  const P = 16; // small pages so ranges cross many page edges
  const versions = (pages = 8): PagedArray<Uint32Array> => new PagedArray((n) => new Uint32Array(n), BASE, pages * P, 'versions', P);
  const all = (a: PagedArray<Uint32Array>): number[] => {
    const dst = new Uint32Array(a.size);
    a.read(BASE, dst, 0, a.size);
    return Array.from(dst);
  };

  it('stores a fill of whole pages as one value per page and materialises only the partial ends', () => {
    const a = versions();
    a.fill(BASE + 5, 3 * P, 7); // partial page 0, whole pages 1 and 2, partial page 3
    expect(a.residentPages()).toBe(2);
    const expected = new Array<number>(8 * P).fill(0).fill(7, 5, 5 + 3 * P);
    expect(all(a)).toEqual(expected);
    expect(a.uniformValue(BASE + P, 2 * P)).toBe(7);
    expect(a.uniformValue(BASE + P + 3, 4)).toBe(7);
    expect(a.uniformValue(BASE + P, 2 * P + 1)).toBe(7); // a short piece of the materialised page 3, compared
    expect(a.uniformValue(BASE + P, 2 * P + 6)).toBe(-1); // ... up to its first 0
    expect(a.uniformValue(BASE + 4 * P, 4 * P)).toBe(0); // untouched pages hold zeros
  });

  it('releases a materialised page when a fill covers it whole, and rebuilds it from its value when partly written', () => {
    const a = versions();
    a.write(BASE + P + 2, Uint32Array.of(1, 2, 3), 0, 3);
    expect(a.residentPages()).toBe(1);
    a.fill(BASE + P, P, 9);
    expect(a.residentPages()).toBe(0);
    expect(a.uniformValue(BASE + P, P)).toBe(9);
    a.write(BASE + P + 4, Uint32Array.of(5), 0, 1); // reuses the released array: stale 1, 2, 3 must not show
    expect(a.residentPages()).toBe(1);
    const dst = new Uint32Array(P);
    a.read(BASE + P, dst, 0, P);
    expect(Array.from(dst)).toEqual([9, 9, 9, 9, 5, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
  });

  it('leaves a uniform page uniform when a partial fill writes the value it already holds', () => {
    const a = versions();
    a.fill(BASE, 2 * P, 4);
    a.fill(BASE + 3, 20, 4);
    a.fill(BASE + 2 * P + 1, 3, 0); // zeros into an untouched page
    expect(a.residentPages()).toBe(0);
    a.fill(BASE + 3, 20, 5);
    expect(a.residentPages()).toBe(2);
  });

  it('reads short and long runs across edges between untouched, uniform and materialised pages', () => {
    const a = versions();
    a.fill(BASE + P, P, 3); // page 1 uniform
    a.write(BASE + 2 * P + 1, Uint32Array.of(8, 8), 0, 2); // page 2 materialised, page 0 and 3.. untouched
    const dst = new Uint32Array(40).fill(99);
    a.read(BASE + P - 2, dst, 1, 4); // untouched → uniform
    expect(Array.from(dst.subarray(0, 6))).toEqual([99, 0, 0, 3, 3, 99]);
    a.read(BASE + 2 * P - 1, dst, 0, 4); // uniform → materialised
    expect(Array.from(dst.subarray(0, 4))).toEqual([3, 0, 8, 8]);
    a.read(BASE + P - 1, dst, 0, 2 * P + 2); // untouched → uniform → materialised → untouched
    expect(dst[0]).toBe(0);
    expect(Array.from(dst.subarray(1, P + 1)).every((v) => v === 3)).toBe(true);
    expect(Array.from(dst.subarray(P + 1, P + 4))).toEqual([0, 8, 8]);
    expect(dst[2 * P + 1]).toBe(0);
  });

  it('stores what the element type would: a uniform page of a byte store truncates like a typed array', () => {
    const b = new PagedArray((n) => new Uint8Array(n), BASE, 4 * P, 'dram', P);
    b.fill(BASE, 2 * P, 0x1ee);
    b.fill(BASE + 3, 2, 0xee); // equal to the stored value: stays uniform
    expect(b.residentPages()).toBe(0);
    expect(b.uniformValue(BASE, 2 * P)).toBe(0xee);
    const v = versions();
    v.fill(BASE, P, -1);
    expect(v.uniformValue(BASE, P)).toBe(0xffffffff);
  });

  it('passes uniform pages to forEachPiece as their value, or as arrays holding it when asked to allocate', () => {
    const a = versions();
    a.fill(BASE + P, P, 6);
    a.write(BASE + 2 * P, Uint32Array.of(1), 0, 1);
    const seen: [number | number[], number, number, number][] = [];
    a.forEachPiece(BASE + P - 1, P + 3, false, (page, start, end, addr) => {
      seen.push([typeof page === 'number' ? page : Array.from(page.subarray(start, end)), start, end, addr]);
    });
    expect(seen).toEqual([
      [0, P - 1, P, BASE + P - 1],
      [6, 0, P, BASE + P],
      [[1, 0], 0, 2, BASE + 2 * P],
    ]);
    expect(a.residentPages()).toBe(1);
    a.forEachPiece(BASE + P + 2, 2, true, (page, start, end) => {
      expect(typeof page).not.toBe('number');
      if (typeof page !== 'number') {
        expect(Array.from(page.subarray(start, end))).toEqual([6, 6]);
        page[start] = 2;
      }
    });
    expect(a.residentPages()).toBe(2);
    expect(all(a).slice(P, P + 4)).toEqual([6, 6, 2, 6]);
  });

  it('matches a flat array for any sequence of writes, fills and reads', () => {
    const size = 8 * P;
    const op = fc.record({
      kind: fc.constantFrom('write', 'fill', 'read'),
      off: fc.nat(size - 1),
      len: fc.nat(3 * P),
      v: fc.constantFrom(0, 1, 2, 0xffffffff),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const a = versions();
        const model = driveAgainstModel(a, size, P, ops);
        expect(all(a)).toEqual(Array.from(model));
        expect(a.residentPages()).toBeLessThanOrEqual(8);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a page size that is not a positive integer', () => {
    expect(() => new PagedArray((n) => new Uint8Array(n), BASE, 64, 'dram', 0)).toThrow(/pageElements must be a positive integer/);
  });
});

describe('PagedArray word reads (line refills)', () => {
  it('reads the same bytes as read for untouched, uniform and materialised pages, and declines unaligned or straddling ranges', () => {
    const P = 4096;
    const a = new PagedArray((n) => new Uint8Array(n), BASE, 4 * P, 'dram', P);
    a.fill(BASE + P, P, 0xa7); // page 1 uniform
    a.write(BASE + 2 * P + 64, Uint8Array.from({ length: 64 }, (_, i) => 200 - i), 0, 64); // page 2 materialised
    const words = new Int32Array(20);
    const bytes = new Uint8Array(words.buffer);
    const expected = new Uint8Array(64);
    for (const addr of [BASE + 128, BASE + P + 192, BASE + 2 * P + 64]) {
      words.fill(-1);
      expect(a.readWords(addr, words, 2, 16)).toBe(true);
      a.read(addr, expected, 0, 64);
      expect(bytes.subarray(8, 72)).toEqual(expected);
      expect(words[0]).toBe(-1);
      expect(words[18]).toBe(-1);
    }
    expect(a.readWords(BASE + 2, words, 0, 16)).toBe(false); // not on a word boundary
    expect(a.readWords(BASE + P - 32, words, 0, 16)).toBe(false); // straddles two pages
    expect(() => a.readWords(BASE + 4 * P - 32, words, 0, 16)).toThrow(/dram\.read: access of 64 bytes/);
  });

  it('reads 32-bit elements one per word, uniform values included', () => {
    const a = new PagedArray((n) => new Uint32Array(n), BASE, 4096, 'versions', 1024);
    a.fill(BASE, 1024, 0xfffffff0);
    a.write(BASE + 1024, Uint32Array.from([1, 2, 3, 0x80000000]), 0, 4);
    const words = new Int32Array(8);
    expect(a.readWords(BASE + 8, words, 0, 4)).toBe(true);
    expect(Array.from(new Uint32Array(words.buffer, 0, 4))).toEqual([0xfffffff0, 0xfffffff0, 0xfffffff0, 0xfffffff0]);
    expect(a.readWords(BASE + 1024, words, 4, 4)).toBe(true);
    expect(Array.from(new Uint32Array(words.buffer, 16, 4))).toEqual([1, 2, 3, 0x80000000]);
  });
});

describe('PagedArray page lookup', () => {
  it('keeps pages of a huge store apart near its base and far above the flat index, all page kinds included', () => {
    const P = 4096;
    const size = 2 ** 52; // 2^40 pages: most of them beyond the flat index, found through the sparse one
    const before = process.memoryUsage().arrayBuffers;
    const a = new PagedArray((n) => new Uint32Array(n), BASE, size, 'versions', P);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20); // no table sized by the store
    const far = BASE + size - 3 * P; // three pages below the top
    const near = BASE + 5 * P;
    a.write(far + 10, Uint32Array.of(1, 2, 3), 0, 3);
    a.fill(far + P, P, 0x8000_0001); // uniform far page
    a.write(near + 10, Uint32Array.of(7, 8, 9), 0, 3);
    const dst = new Uint32Array(4);
    a.read(far + 9, dst, 0, 4);
    expect(Array.from(dst)).toEqual([0, 1, 2, 3]);
    a.read(near + 9, dst, 0, 4);
    expect(Array.from(dst)).toEqual([0, 7, 8, 9]);
    expect(a.uniformValue(far + P, P)).toBe(0x8000_0001);
    expect(a.uniformValue(far + 2 * P, P)).toBe(0); // untouched far page
    expect(a.uniformValue(BASE + 2 ** 40, 2 * P)).toBe(0);
    const words = new Int32Array(4);
    expect(a.readWords(far + P + 64, words, 0, 4)).toBe(true);
    expect(Array.from(new Uint32Array(words.buffer))).toEqual([0x8000_0001, 0x8000_0001, 0x8000_0001, 0x8000_0001]);
    expect(a.readWords(far + 8, words, 0, 4)).toBe(true);
    expect(Array.from(words)).toEqual([0, 0, 1, 2]);
    expect(a.residentPages()).toBe(2);
  });

  it('gives a reused page array its own word view: word reads follow the page that now owns it', () => {
    const P = 64;
    const a = new PagedArray((n) => new Uint8Array(n), BASE, 8 * P, 'dram', P);
    a.write(BASE + 4, Uint8Array.of(1, 2, 3, 4), 0, 4); // page 0 materialised
    a.fill(BASE, P, 0x11); // page 0 uniform again: its array is kept as a spare
    a.fill(BASE + 6 * P, P, 0x22); // page 6 uniform
    a.write(BASE + 6 * P + 8, Uint8Array.of(5, 6, 7, 8), 0, 4); // page 6 materialised from the spare
    expect(a.residentPages()).toBe(1);
    const words = new Int32Array(4);
    const bytes = new Uint8Array(words.buffer);
    expect(a.readWords(BASE + 6 * P, words, 0, 4)).toBe(true);
    expect(Array.from(bytes)).toEqual([0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 5, 6, 7, 8, 0x22, 0x22, 0x22, 0x22]);
    expect(a.readWords(BASE, words, 0, 4)).toBe(true);
    expect(Array.from(bytes).every((b) => b === 0x11)).toBe(true);
    const zeros = new Uint8Array(P).fill(9);
    a.read(BASE + 3 * P, zeros, 0, P); // untouched pages still read as zeros
    expect(zeros.every((b) => b === 0)).toBe(true);
  });

  it('matches a flat model when pages turn uniform and back many times (spare reuse across pages)', () => {
    const P = 16;
    const pages = 12;
    fc.assert(
      fc.property(fc.array(fc.record({ page: fc.nat(pages - 1), whole: fc.boolean(), v: fc.nat(5) }), { maxLength: 60 }), (ops) => {
        const a = new PagedArray((n) => new Uint32Array(n), BASE, pages * P, 'versions', P);
        const model = new Uint32Array(pages * P);
        for (const o of ops) {
          const at = o.page * P + (o.whole ? 0 : 3);
          const len = o.whole ? P : 5;
          a.fill(BASE + at, len, o.v);
          model.fill(o.v, at, at + len);
        }
        const words = new Int32Array(P);
        for (let p = 0; p < pages; p++) {
          expect(a.readWords(BASE + p * P, words, 0, P)).toBe(true);
          expect(Array.from(new Uint32Array(words.buffer))).toEqual(Array.from(model.subarray(p * P, (p + 1) * P)));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('PagedArray pages held as runs', () => {
  const P = 16;
  const runs = (maxRuns: number, pages = 6): PagedArray<Uint32Array> => new PagedArray((n) => new Uint32Array(n), BASE, pages * P, 'versions', P, maxRuns);
  const all = (a: PagedArray<Uint32Array>): number[] => {
    const dst = new Uint32Array(a.size);
    a.read(BASE, dst, 0, a.size);
    return Array.from(dst);
  };

  it('keeps a page cut by fills as runs, answering uniform reads inside one run and not across runs', () => {
    const a = runs(4);
    a.fill(BASE + 5, 2 * P, 7); // page 0: [0,5)=0 [5,16)=7; page 1 whole; page 2: [0,5)=7 [5,16)=0
    expect(a.residentPages()).toBe(0);
    expect(a.uniformValue(BASE + 6, 4)).toBe(7);
    expect(a.uniformValue(BASE, 5)).toBe(0);
    expect(a.uniformValue(BASE + 4, 2)).toBe(-1); // a stale element next to the run
    expect(a.uniformValue(BASE + 5, 2 * P)).toBe(7); // runs of three pages with one value
    expect(a.uniformValue(BASE + 5, 2 * P + 1)).toBe(-1);
    expect(all(a).slice(0, 3 * P)).toEqual([...Array(5).fill(0), ...Array(2 * P).fill(7), ...Array(P - 5).fill(0)]);
  });

  it('makes a page uniform again when fills leave one run (lines written back one after another)', () => {
    const a = runs(3);
    for (let at = 0; at < P; at += 4) a.fill(BASE + P + at, 4, 9);
    expect(a.uniformValue(BASE + P, P)).toBe(9);
    expect(a.residentPages()).toBe(0);
    const words = new Int32Array(4);
    expect(a.readWords(BASE + P + 4, words, 0, 4)).toBe(true);
    expect(Array.from(words)).toEqual([9, 9, 9, 9]);
  });

  it('materialises a page that would need more than maxRuns runs, keeping every element', () => {
    const a = runs(3);
    a.fill(BASE + 2, 2, 1);
    a.fill(BASE + 6, 2, 2); // 0,1,0,2,0: five runs
    expect(a.residentPages()).toBe(1);
    expect(all(a).slice(0, 10)).toEqual([0, 0, 1, 1, 0, 0, 2, 2, 0, 0]);
  });

  it('word reads and pieces follow the runs: word stores within a run, per-run pieces across them', () => {
    const a = runs(4);
    a.fill(BASE + 8, 4, 5); // page 0: [0,8)=0 [8,12)=5 [12,16)=0
    const words = new Int32Array(8).fill(-1);
    expect(a.readWords(BASE + 8, words, 1, 4)).toBe(true);
    expect(Array.from(words.subarray(1, 5))).toEqual([5, 5, 5, 5]);
    expect(a.readWords(BASE + 6, words, 0, 4)).toBe(false); // crosses runs: the caller uses read
    const pieces: [number | string, number, number, number][] = [];
    a.forEachPiece(BASE + 6, 8, false, (page, start, end, addr) => pieces.push([typeof page === 'number' ? page : 'array', start, end, addr - BASE]));
    expect(pieces).toEqual([[0, 6, 8, 6], [5, 8, 12, 8], [0, 12, 14, 12]]);
    expect(a.residentPages()).toBe(0);
  });

  it('matches a flat array for any sequence of writes, fills and reads, for any run limit', () => {
    const size = 6 * P;
    const op = fc.record({
      kind: fc.constantFrom('write', 'fill', 'fill', 'read', 'words'),
      off: fc.nat(size - 1),
      len: fc.nat(2 * P),
      v: fc.constantFrom(0, 1, 2, 0xffffffff),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 50 }), (maxRuns, ops) => {
        const a = runs(maxRuns);
        const model = driveAgainstModel(a, size, P, ops);
        expect(all(a)).toEqual(Array.from(model));
      }),
      { numRuns: 400 },
    );
  });

  it('rejects a run limit outside 0..64', () => {
    expect(() => new PagedArray((n) => new Uint32Array(n), BASE, 64, 'versions', 16, -1)).toThrow(/maxRuns must be an integer in 0\.\.64/);
  });
});
