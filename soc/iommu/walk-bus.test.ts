import { describe, expect, it } from 'vitest';
import { Simulator } from '../../emulator/kernel/index.ts';
import { DramTiming, lpddr2_800_2x32 } from '../dram/index.ts';
import { Interconnect } from '../interconnect/index.ts';
import { AddressMap, Dram } from '../memory/index.ts';
import { Iommu } from './iommu.ts';
import { IOMMU_READ, IOMMU_WRITE } from './page-table.ts';
import { SysmmuPageTable } from './sysmmu-pgtable.ts';
import { DirectTableCpu, TablePool } from './table-memory.ts';
import { interconnectWalkBus } from './walk-bus.ts';

describe('table walks on the real interconnect', () => {
  it('are timed by the bus and counted under the IOMMU master name; a walk through garbage faults, never throws', () => {
    const sim = new Simulator({ seed: 1 });
    const map = new AddressMap();
    const dram = new Dram(0x4000_0000, 1 << 30);
    map.add({ name: 'dram0', base: 0x4000_0000, size: 1 << 30, kind: 'dram', target: dram });
    const ic = new Interconnect(sim, map, new DramTiming(lpddr2_800_2x32), { clockHz: 400_000_000, widthBytes: 16, hopLatencyCycles: 2 });
    const table = new SysmmuPageTable(new DirectTableCpu(dram), new TablePool(0x4100_0000, 1 << 20));
    const iommu = new Iommu({ master: 'sysmmu-fimc0', format: 'sysmmu', walkMemory: dram, bus: interconnectWalkBus(ic, 'sysmmu-fimc0'), stats: sim.stats });
    iommu.attach(table);
    table.map(0x2000_0000, 0x5000_0000, 4096, IOMMU_READ | IOMMU_WRITE);
    const r = iommu.translate(0x2000_0000, 64, false, 0);
    expect(r.ok && r.pa).toBe(0x5000_0000);
    expect(r.costPs).toBeGreaterThan(2 * iommu.timing.walkStepPs);
    const stats = sim.stats.toJSON();
    expect(stats['bus.sysmmu-fimc0.bytes']).toBe(8); // two 4-byte descriptor reads
    expect(stats['iommu.sysmmu-fimc0.walks']).toBe(1);
    // A first-level link pointing outside any region: the walk aborts into a fault.
    const bad = new Uint8Array([0x01, 0x00, 0x00, 0x10]); // 0x10000001: link to 0x10000000 (no DRAM there)
    dram.write(table.root + 0x300 * 4, bad, 0, 4);
    const f = iommu.translate(0x3000_0000, 4, true, 0, 'fimc0');
    expect(f.fault).toBe(true);
    expect(iommu.walkAbort).toMatch(/bus error/);
    expect(iommu.violations.at(-1)).toMatchObject({ kind: 'iommu-fault', dev: 'fimc0', dir: 'write' });
  });
});
