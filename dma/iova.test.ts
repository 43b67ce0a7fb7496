import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitmapIovaAllocator, IovaDomain, IovaError } from './iova.ts';

const P = 4096;

describe('IovaDomain (iova.c)', () => {
  it('allocates top-down below the limit, size-aligned', () => {
    const d = new IovaDomain();
    const limit = 0xffff_ffff;
    const a = d.allocIova(P, limit, 0);
    expect(a).toBe(0xffff_f000);
    const b = d.allocIova(2 * P, limit, 0);
    expect(b).toBe(0xffff_d000 - P); // 2 pages, 2-page aligned, below a
    const c = d.allocIova(3 * P, limit, 0); // rounded up to 4 pages, 4-page aligned
    expect(c % (4 * P)).toBe(0);
    expect(c + 4 * P).toBeLessThanOrEqual(b);
    expect(d.allocIova(P, 0x00ff_ffff, 0)).toBe(0x00ff_f000);
  });

  it('fills a hole above lower allocations first (highest fitting gap)', () => {
    const d = new IovaDomain({ cpus: 1, cacheClasses: 0 });
    const limit = 0x10_0000 - 1;
    const a = d.allocIova(P, limit, 0);
    const b = d.allocIova(P, limit, 0);
    d.allocIova(P, limit, 0);
    d.freeIova(a, P, 0);
    expect(d.allocIova(P, limit, 0)).toBe(a);
    d.freeIova(b, P, 0);
    expect(d.allocIova(P, limit, 0)).toBe(b);
  });

  it('reuses a recently freed range of the same size class from the CPU magazine', () => {
    const d = new IovaDomain({ cpus: 2 });
    const limit = 0xffff_ffff;
    const a = d.allocIova(4 * P, limit, 0);
    d.allocIova(4 * P, limit, 0);
    d.freeIova(a, 4 * P, 0);
    expect(d.isCached(a / P)).toBe(true);
    expect(d.treeSize).toBe(2); // still held in the tree while cached
    expect(d.allocIova(P, limit, 0)).not.toBe(a); // other size class
    expect(d.allocIova(4 * P, limit, 1)).not.toBe(a); // other CPU's magazine is empty
    expect(d.allocIova(4 * P, limit, 0)).toBe(a);
    expect(d.cacheHits).toBe(1);
  });

  it('spills full magazines to the depot and frees to the tree when the depot is full', () => {
    const d = new IovaDomain({ cpus: 1, magazineSize: 2, depotSize: 1 });
    const limit = 0xffff_ffff;
    const xs = Array.from({ length: 7 }, () => d.allocIova(P, limit, 0));
    for (const x of xs) d.freeIova(x, P, 0);
    // loaded 2 + prev 2 + depot 2 cached; the 7th insert released one magazine of 2 back to the tree: 7 - 2 = 5 held.
    expect(d.treeSize).toBe(5);
    d.flushCaches();
    expect(d.treeSize).toBe(0);
    expect(d.allocatedBytes()).toBe(0);
  });

  it('a magazine entry above the limit is not handed out', () => {
    const d = new IovaDomain({ cpus: 1 });
    const a = d.allocIova(P, 0xffff_ffff, 0);
    d.freeIova(a, P, 0);
    const b = d.allocIova(P, 0x0fff_ffff, 0);
    expect(b).toBeLessThanOrEqual(0x0fff_f000);
  });

  it('never hands out overlapping ranges and keeps them below the limit (random)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ alloc: fc.boolean(), pages: fc.integer({ min: 1, max: 70 }), cpu: fc.integer({ min: 0, max: 3 }), pick: fc.nat() }), { maxLength: 120 }), (ops) => {
        const d = new IovaDomain({ magazineSize: 4, depotSize: 2 });
        const limit = 0x40_0000 - 1; // 1024 pages
        const live: [number, number][] = [];
        for (const o of ops) {
          if (o.alloc || live.length === 0) {
            const iova = d.allocIova(o.pages * P, limit, o.cpu);
            if (iova < 0) continue;
            const size = d.pagesFor(o.pages * P) * P;
            expect(iova + size - 1).toBeLessThanOrEqual(limit);
            expect(iova).toBeGreaterThanOrEqual(P);
            for (const [s, n] of live) expect(iova + size <= s || s + n <= iova).toBe(true);
            live.push([iova, size]);
          } else {
            const [s, n] = live.splice(o.pick % live.length, 1)[0]!;
            d.freeIova(s, n, o.cpu);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses to free what it did not allocate', () => {
    expect(() => new IovaDomain().freeIova(0x1000, P, 0)).toThrow(IovaError);
  });
});

describe('BitmapIovaAllocator (arch/arm)', () => {
  it('first-fit from the bottom with order alignment capped at maxAlignOrder', () => {
    const b = new BitmapIovaAllocator({ base: 0x2000_0000, size: 128 << 20 });
    expect(b.allocIova(P, 0xffff_ffff, 0)).toBe(0x2000_0000);
    expect(b.allocIova(2 * P, 0xffff_ffff, 0)).toBe(0x2000_2000);
    expect(b.allocIova(P, 0xffff_ffff, 0)).toBe(0x2000_1000);
    const big = b.allocIova(4 << 20, 0xffff_ffff, 0); // order 10 capped at 8: 1 MiB alignment
    expect(big % (1 << 20)).toBe(0);
    expect(big).toBe(0x2010_0000);
    b.freeIova(0x2000_0000, P, 0);
    expect(b.allocIova(P, 0xffff_ffff, 0)).toBe(0x2000_0000); // reusable at once
    expect(b.allocatedBytes()).toBe(4 * P + (4 << 20));
  });

  it('fails when the space is exhausted and rejects bad frees', () => {
    const b = new BitmapIovaAllocator({ base: 0x1000_0000, size: 4 * P });
    expect(b.allocIova(4 * P, 0xffff_ffff, 0)).toBe(0x1000_0000);
    expect(b.allocIova(P, 0xffff_ffff, 0)).toBe(-1);
    expect(() => b.freeIova(0x2000_0000, P, 0)).toThrow(IovaError);
  });
});
