import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IO_TLB_SEGSIZE, IO_TLB_SIZE, SwiotlbPool, swiotlbFullMessage } from './swiotlb-pool.ts';

const BASE = 0x44000000;

describe('SwiotlbPool', () => {
  it('has 2 KiB slots and a 64 MiB default pool', () => {
    const p = new SwiotlbPool(BASE);
    expect(p.nslabs).toBe(32768);
    expect(IO_TLB_SIZE).toBe(2048);
    expect(p.maxMappingSize()).toBe(256 * 1024);
  });
  it('takes contiguous slots and frees them', () => {
    const p = new SwiotlbPool(BASE, 1 << 20);
    const a = p.map(0x50000010, 5000);
    expect(p.usedSlotCount).toBe(3);
    expect(p.find(a + 4000)?.origAddr).toBe(0x50000010);
    p.unmap(a);
    expect(p.usedSlotCount).toBe(0);
  });
  it('preserves the low address bits inside the min-align mask', () => {
    const p = new SwiotlbPool(BASE, 1 << 20);
    p.map(0x50000000, 100); // move the search index off slot 0
    const orig = 0x50001a30; // bit 11 set and offset 0x230 inside the slot
    const t = p.map(orig, 512, 0xfff);
    expect(t & 0xfff).toBe(orig & 0xfff);
  });
  it('page-aligns mappings of a page or more', () => {
    const p = new SwiotlbPool(BASE, 1 << 20);
    p.map(0x50000000, 100);
    const t = p.map(0x50003000, 4096);
    expect(t % 4096).toBe(0);
  });
  it('never crosses a 128-slot segment and refuses more than one segment', () => {
    const p = new SwiotlbPool(BASE, 2 * IO_TLB_SEGSIZE * IO_TLB_SIZE);
    const first = p.map(0x50000000, 127 * IO_TLB_SIZE); // slots 0..126
    const t = p.map(0x50100000, 2 * IO_TLB_SIZE - 1, 0, 0); // cannot take 127..128
    expect((t - BASE) / IO_TLB_SIZE).toBe(IO_TLB_SEGSIZE);
    expect(p.map(0x50200000, IO_TLB_SEGSIZE * IO_TLB_SIZE + 1)).toBe(-1);
    p.unmap(first);
  });
  it('formats the kernel exhaustion warning', () => {
    expect(swiotlbFullMessage(1048576, 65536, 498)).toBe('swiotlb buffer is full (sz: 1048576 bytes), total 65536 (slots), used 498 (slots)');
  });
  it('keeps slot accounting exact under random map/unmap sequences (no leaks, no overlaps)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40000 }), fc.integer({ min: 0, max: 4095 })), { maxLength: 60 }), (ops) => {
        const p = new SwiotlbPool(BASE, 4 * IO_TLB_SEGSIZE * IO_TLB_SIZE);
        const live: { t: number; size: number; n: number }[] = [];
        for (const [unmap, size, low] of ops) {
          if (unmap && live.length > 0) {
            const m = live.shift()!;
            expect(p.unmap(m.t)).toBeDefined();
          } else {
            const t = p.map(0x50000000 + low, size);
            if (t >= 0) live.push({ t, size, n: p.find(t)!.nslots });
          }
          const used = live.reduce((s, m) => s + m.n, 0);
          expect(p.usedSlotCount).toBe(used);
        }
        const sorted = [...live].sort((a, b) => a.t - b.t);
        for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.t).toBeGreaterThanOrEqual(sorted[i - 1]!.t + sorted[i - 1]!.size);
        for (const m of live) p.unmap(m.t);
        expect(p.usedSlotCount).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
