import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Stats } from '../../emulator/kernel/stats.ts';
import { Dram } from '../memory/index.ts';
import { IOMMU_READ, IOMMU_WRITE } from './page-table.ts';
import type { PageTableFormat } from './page-table.ts';
import { createPageTable } from './create.ts';
import { Iommu } from './iommu.ts';
import type { WalkBus } from './iommu.ts';
import { IommuDataPort } from './iommu-port.ts';
import { LpaePageTable } from './lpae-pgtable.ts';
import { DirectTableCpu, TablePool } from './table-memory.ts';
import { WriteBackTableCpu } from './test-helpers.ts';

const TABLES = 0x4000_0000;
const RW = IOMMU_READ | IOMMU_WRITE;

function rig(format: PageTableFormat, opts: { forget?: boolean; writeBack?: boolean; bus?: WalkBus; stats?: Stats } = {}) {
  const dram = new Dram(0x4000_0000, 0x4000_0000);
  const cpu = opts.writeBack || opts.forget ? new WriteBackTableCpu(dram, opts.forget ?? false) : new DirectTableCpu(dram);
  const pool = new TablePool(TABLES, 4 << 20);
  const table = createPageTable(format, cpu, pool);
  const iommu = new Iommu({ master: 'sysmmu-fimc0', format, walkMemory: dram, ...(opts.bus ? { bus: opts.bus } : {}), ...(opts.stats ? { stats: opts.stats } : {}) });
  iommu.attach(table);
  return { dram, cpu, pool, table, iommu };
}

const PAGE = 4096;

for (const format of ['sysmmu', 'lpae'] as const) {
  describe(`${format} translation`, () => {
    const big = format === 'sysmmu' ? 1 << 20 : 2 << 20;
    const sizes = format === 'sysmmu' ? [PAGE, 1 << 16, 1 << 20, 3 * PAGE] : [PAGE, 1 << 16, 2 << 20, 3 * PAGE];

    it('equals a reference map under random map/unmap sequences', () => {
      const slot = big; // each slot is one big leaf wide; 8 slots
      const op = fc.record({ map: fc.boolean(), slot: fc.integer({ min: 0, max: 7 }), size: fc.constantFrom(...sizes), pa: fc.integer({ min: 0, max: 63 }), probe: fc.integer({ min: 0, max: 8 * 512 - 1 }) });
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), fc.boolean(), (ops, writeBack) => {
          const { table, iommu } = rig(format, { writeBack });
          const ref = new Map<number, number>(); // iova page -> pa page
          const live = new Map<number, number>(); // slot -> size
          let now = 0;
          for (const o of ops) {
            const iova = 0x1000_0000 + o.slot * slot;
            if (o.map && !live.has(o.slot)) {
              const pa = 0x6000_0000 + o.pa * big;
              table.map(iova, pa, o.size, RW);
              live.set(o.slot, o.size);
              for (let b = 0; b < o.size; b += PAGE) ref.set(iova + b, pa + b);
            } else if (!o.map && live.has(o.slot)) {
              const size = live.get(o.slot)!;
              table.unmap(iova, size, (va, leaf) => {
                now = iommu.invalidateRange(va, leaf, leaf, now);
              });
              live.delete(o.slot);
              for (let b = 0; b < size; b += PAGE) ref.delete(iova + b);
            }
            const probe = 0x1000_0000 + o.probe * PAGE + 8;
            const r = iommu.translate(probe, 4, false, now);
            const want = ref.get(probe - 8);
            if (want === undefined) expect(r.fault).toBe(true);
            else expect(r.ok && r.pa).toBe(want + 8);
            expect(table.iovaToPhys(probe)).toBe(want === undefined ? -1 : want + 8);
            now += r.costPs;
          }
          expect(iommu.violations.filter((v) => v.kind === 'stale-iotlb')).toHaveLength(0);
        }),
        { numRuns: 60 },
      );
    });

    it('counts IOTLB hits and misses, and walks show up on the bus', () => {
      const reads: number[] = [];
      const bus: WalkBus = { access: (addr, len, _w, now) => (reads.push(addr, len), now + 20_000) };
      const stats = new Stats();
      const { table, iommu } = rig(format, { bus, stats });
      table.map(0x2000_0000, 0x7000_0000, 64 * 1024, RW);
      const a = iommu.translate(0x2000_0010, 16, true, 0);
      expect(a.ok && a.pa).toBe(0x7000_0010);
      const levels = format === 'sysmmu' ? 2 : 3;
      expect(reads.length / 2).toBe(levels);
      expect(reads[1]).toBe(format === 'sysmmu' ? 4 : 8);
      expect(a.costPs).toBe(levels * (20_000 + iommu.timing.walkStepPs));
      const b = iommu.translate(0x2000_0020, 16, false, 1_000_000);
      expect(b.tlbHit).toBe(true);
      expect(b.costPs).toBe(iommu.timing.tlbHitPs);
      expect(iommu.tlbHits).toBe(1);
      expect(iommu.tlbMisses).toBe(1);
      expect(stats.counter('iommu.sysmmu-fimc0.tlb_hits').value).toBe(1);
      expect(stats.counter('iommu.sysmmu-fimc0.walk_reads').value).toBe(levels);
    });

    it('reports an unmapped access as iommu-fault with IOVA, device and direction, and carries on', () => {
      const { table, iommu, dram } = rig(format);
      table.map(0x3000_0000, 0x7000_0000, PAGE, RW);
      const faults: string[] = [];
      const port = new IommuDataPort(iommu, dram);
      dram.fill(0x7000_0000, PAGE, 0xab);
      const buf = new Uint8Array(2 * PAGE).fill(0x55);
      port.read(0x3000_0000, buf, 0, 2 * PAGE, 0, 'fimc0');
      expect(port.faultedBytes).toBe(PAGE);
      expect(buf[0]).toBe(0xab);
      expect(buf[PAGE]).toBe(0); // the faulting half reads zeros
      expect(iommu.violations).toHaveLength(1);
      const v = iommu.violations[0]!;
      expect(v).toMatchObject({ kind: 'iommu-fault', dev: 'fimc0', addr: 0x3000_1000, iova: 0x3000_1000, size: PAGE, dir: 'read', reason: 'translation' });
      expect(v.message).toContain('0x30001000');
      expect(v.hint).toMatch(/unmap/);
      const w = iommu.translate(0x3800_0000, 4, true, 0, 'fimc1');
      expect(w.fault).toBe(true);
      expect(iommu.violations[1]).toMatchObject({ dev: 'fimc1', dir: 'write' });
      expect(faults).toHaveLength(0);
    });

    it('a non-coherent walker over cacheable tables that were not cleaned faults; with the clean it works', () => {
      const bad = rig(format, { forget: true });
      bad.table.map(0x2000_0000, 0x7000_0000, PAGE, RW);
      expect(bad.table.iovaToPhys(0x2000_0000)).toBe(0x7000_0000); // the CPU sees its own tables
      expect(bad.iommu.translate(0x2000_0000, 4, false, 0).fault).toBe(true);
      const good = rig(format, { writeBack: true });
      good.table.map(0x2000_0000, 0x7000_0000, PAGE, RW);
      const r = good.iommu.translate(0x2000_0000, 4, false, 0);
      expect(r.ok && r.pa).toBe(0x7000_0000);
    });

    it('uses of a translation the driver removed but did not invalidate are stale-iotlb', () => {
      const { table, iommu } = rig(format);
      table.map(0x2000_0000, 0x7000_0000, PAGE, RW);
      iommu.translate(0x2000_0000, 4, false, 0);
      table.unmap(0x2000_0000, PAGE);
      const r = iommu.translate(0x2000_0004, 4, true, 100, 'fimc0');
      expect(r.ok && r.stale).toBe(true);
      expect(r.pa).toBe(0x7000_0004);
      iommu.translate(0x2000_0008, 4, true, 200, 'fimc0');
      expect(iommu.violations.map((v) => v.kind)).toEqual(['stale-iotlb']); // reported once per entry
      expect(iommu.staleUses).toBe(2);
      const done = iommu.invalidateRange(0x2000_0000, PAGE, PAGE, 300);
      expect(done).toBe(300 + iommu.timing.entryInvalidatePs);
      expect(iommu.translate(0x2000_0000, 4, false, done).fault).toBe(true);
    });
  });
}

describe('SYSMMU invalidation', () => {
  it('a 1 MiB section cached through another set survives one entry invalidation but not the 64-entry range', () => {
    const { table, iommu } = rig('sysmmu');
    table.map(0x1000_0000, 0x6000_0000, 1 << 20, RW);
    iommu.translate(0x1000_0000 + 5 * PAGE, 4, false, 0); // cached in set 5
    table.unmap(0x1000_0000, 1 << 20);
    let t = iommu.invalidateEntry(0x1000_0000, 0); // set 0 only
    expect(iommu.translate(0x1000_0000 + 5 * PAGE, 4, false, t).stale).toBe(true);
    t = iommu.invalidateRange(0x1000_0000, 1 << 20, 1 << 20, t);
    expect(iommu.entryInvalidations).toBe(1 + 64);
    expect(iommu.translate(0x1000_0000 + 5 * PAGE, 4, false, t).fault).toBe(true);
  });

  it('a 64 KiB large page takes 16 entry invalidations, each blocking translation', () => {
    const { table, iommu } = rig('sysmmu');
    table.map(0x1000_0000, 0x6000_0000, 1 << 16, RW);
    table.unmap(0x1000_0000, 1 << 16);
    const done = iommu.invalidateRange(0x1000_0000, 1 << 16, 1 << 16, 1000);
    expect(iommu.entryInvalidations).toBe(16);
    expect(done).toBe(1000 + 16 * iommu.timing.entryInvalidatePs);
    const r = iommu.translate(0x1000_0000, 4, false, 2000);
    expect(r.costPs).toBeGreaterThanOrEqual(done - 2000);
  });

  it('writes the exynos descriptor encoding into DRAM', () => {
    const { table, dram } = rig('sysmmu');
    table.map(0x1000_0000, 0x6000_0000, 1 << 20, RW);
    table.map(0x1010_0000, 0x6123_4000, PAGE, RW);
    const w = new Uint8Array(4);
    const rd = (a: number) => (dram.read(a, w, 0, 4), new DataView(w.buffer).getUint32(0, true));
    expect(rd(table.root + 0x100 * 4)).toBe(0x6000_0002);
    const link = rd(table.root + 0x101 * 4);
    expect(link & 3).toBe(1);
    expect(rd((link & ~0x3ff) >>> 0)).toBe(0x6123_4002);
  });
});

describe('LPAE specifics', () => {
  it('sets AF and inner-shareable in leaves; a read-only mapping faults on write', () => {
    const { table, iommu, dram } = rig('lpae');
    table.map(0x2000_0000, 0x7000_0000, PAGE, IOMMU_READ);
    expect(iommu.translate(0x2000_0000, 4, false, 0).ok).toBe(true);
    expect(iommu.translate(0x2000_0000, 4, true, 0).fault).toBe(true);
    expect(iommu.violations[0]!.reason).toBe('permission');
    const pa = table.iovaToPhys(0x2000_0000);
    expect(pa).toBe(0x7000_0000);
    void dram;
  });

  it('without the access flag the walker faults', () => {
    const dram = new Dram(0x4000_0000, 0x4000_0000);
    const t = new LpaePageTable(new DirectTableCpu(dram), new TablePool(TABLES, 1 << 20), { setAccessFlag: false });
    const iommu = new Iommu({ master: 'smmu', format: 'lpae', walkMemory: dram });
    iommu.attach(t);
    t.map(0x2000_0000, 0x7000_0000, PAGE, RW);
    iommu.translate(0x2000_0000, 4, false, 0);
    expect(iommu.violations[0]!.reason).toBe('access-flag');
  });

  it('uses 2 MiB blocks and 3 levels for 32 and 39-bit IAS, 2 levels with a 64 KiB granule', () => {
    const dram = new Dram(0x4000_0000, 0x4000_0000);
    const cpu = new DirectTableCpu(dram);
    const t39 = new LpaePageTable(cpu, new TablePool(TABLES, 1 << 20), { iasBits: 39 });
    expect(t39.levels).toBe(3);
    expect(t39.pageSizes).toEqual([1 << 30, 2 << 20, PAGE]);
    const t64 = new LpaePageTable(cpu, new TablePool(TABLES + (1 << 20), 4 << 20), { granule: 65536 });
    expect(t64.levels).toBe(2);
    const iommu = new Iommu({ master: 'smmu', format: 'lpae', walkMemory: dram });
    iommu.attach(t64);
    t64.map(0x2000_0000, 0x7001_0000, 65536, RW);
    const r = iommu.translate(0x2000_1234, 4, false, 0);
    expect(r.ok && r.pa).toBe(0x7001_1234);
    expect(iommu.walkReads).toBe(2);
    const { table, iommu: i32 } = rig('lpae');
    table.map(0x20_0000 * 3, 0x6020_0000, 2 << 20, RW);
    i32.translate(0x60_0000 + 0x1234, 4, false, 0);
    expect(i32.walkReads).toBe(2); // a level-2 block: the walk stops one level early
  });
});

describe('fault reporting', () => {
  it('reports a burst run on one page once, and again after the page was used successfully', () => {
    const { table, iommu } = rig('sysmmu');
    for (let i = 0; i < 8; i++) iommu.translate(0x2000_0000 + i * 64, 64, true, 0, 'fimc0');
    expect(iommu.faults).toBe(8);
    expect(iommu.violations).toHaveLength(1);
    table.map(0x2000_0000, 0x7000_0000, PAGE, RW);
    expect(iommu.translate(0x2000_0000, 4, true, 0, 'fimc0').ok).toBe(true);
    table.unmap(0x2000_0000, PAGE);
    iommu.invalidateRange(0x2000_0000, PAGE, PAGE, 0);
    iommu.translate(0x2000_0000, 4, true, 1_000_000, 'fimc0');
    expect(iommu.violations.map((v) => v.kind)).toEqual(['iommu-fault', 'iommu-fault']);
  });

  it('calls the fault interrupt callback with IOVA, device and direction', () => {
    const dram = new Dram(0x4000_0000, 0x1000_0000);
    const seen: unknown[] = [];
    const iommu = new Iommu({ master: 'smmu', format: 'lpae', walkMemory: dram, onFault: (iova, dev, w, why) => seen.push([iova, dev, w, why]) });
    iommu.attach(new LpaePageTable(new DirectTableCpu(dram), new TablePool(TABLES, 1 << 20)));
    iommu.translate(0x1234_5000, 4, false, 0, 'mdma');
    expect(seen).toEqual([[0x1234_5000, 'mdma', false, 'translation']]);
  });
});
