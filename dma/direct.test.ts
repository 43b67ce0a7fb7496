import { describe, expect, it } from 'vitest';
import { GFP_ATOMIC } from './env.ts';
import {
  dma_alloc_attrs,
  dma_alloc_coherent,
  dma_alloc_noncoherent,
  dma_alloc_wc,
  dma_free_coherent,
  dma_free_noncoherent,
  dma_get_sgtable,
  dma_map_single,
  dma_map_single_attrs,
  dma_mmap_attrs,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_single,
  dma_unmap_single_attrs,
} from './mapping.ts';
import { DmaAttr, DmaDirection } from './types.ts';
import { cpuRead, cpuWrite, devRead, devWrite, makeMachine, pattern } from './test-support.ts';

const { TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL } = DmaDirection;
const SIZE = 8192;

function setup(strategy = 'direct', record = false) {
  const m = makeMachine({ record, strategy });
  const dev = m.sys.addDevice({ name: '11800000.fimc', driver: 'fimc' });
  const buf = m.sys.memory.allocPages(SIZE);
  return { m, dev, buf };
}

describe('arm_dma_ops moves data intact when the driver follows the rules', () => {
  it('TO_DEVICE: dirty CPU data is cleaned to DRAM before the device reads', () => {
    const { m, dev, buf } = setup();
    const data = pattern(SIZE, 1);
    cpuWrite(m, buf, data);
    const h = dma_map_single(dev, buf, SIZE, TO_DEVICE);
    expect(devRead(m, dev, h, SIZE)).toEqual(data);
    dma_unmap_single(dev, h, SIZE, TO_DEVICE);
  });
  it('TO_DEVICE without the map the device reads stale DRAM (caches hold real data)', () => {
    const { m, dev, buf } = setup();
    const data = pattern(SIZE, 2);
    cpuWrite(m, buf, data);
    expect(devRead(m, dev, buf, SIZE)).not.toEqual(data);
  });
  it('FROM_DEVICE: the CPU sees the device data even after a speculative refill during the transfer', () => {
    const { m, dev, buf } = setup();
    cpuWrite(m, buf, pattern(SIZE, 3)); // old, dirty lines
    const h = dma_map_single(dev, buf, SIZE, FROM_DEVICE);
    const fresh = pattern(SIZE, 4);
    cpuRead(m, buf, SIZE); // the CPU pulls (stale) lines back in while the device owns the buffer
    devWrite(m, dev, h, fresh);
    dma_unmap_single(dev, h, SIZE, FROM_DEVICE); // the second invalidate drops them
    expect(cpuRead(m, buf, SIZE)).toEqual(fresh);
  });
  it('BIDIRECTIONAL: the device reads the CPU data and the CPU reads the device answer', () => {
    const { m, dev, buf } = setup();
    const out = pattern(SIZE, 5);
    cpuWrite(m, buf, out);
    const h = dma_map_single(dev, buf, SIZE, BIDIRECTIONAL);
    expect(devRead(m, dev, h, SIZE)).toEqual(out);
    const back = pattern(SIZE, 6);
    devWrite(m, dev, h, back);
    dma_unmap_single(dev, h, SIZE, BIDIRECTIONAL);
    expect(cpuRead(m, buf, SIZE)).toEqual(back);
  });
  it('sync_for_cpu / sync_for_device hand a long-lived mapping back and forth', () => {
    const { m, dev, buf } = setup();
    const h = dma_map_single(dev, buf, SIZE, BIDIRECTIONAL);
    for (let round = 0; round < 3; round++) {
      const d = pattern(SIZE, 10 + round);
      devWrite(m, dev, h, d);
      dma_sync_single_for_cpu(dev, h, SIZE, BIDIRECTIONAL);
      expect(cpuRead(m, buf, SIZE)).toEqual(d);
      const c = pattern(SIZE, 20 + round);
      cpuWrite(m, buf, c);
      dma_sync_single_for_device(dev, h, SIZE, BIDIRECTIONAL);
      expect(devRead(m, dev, h, SIZE)).toEqual(c);
    }
    dma_unmap_single(dev, h, SIZE, BIDIRECTIONAL);
  });
});

describe('arm_dma_ops maintenance sequence (REFERENCE §2)', () => {
  it('to the device L1 then L2; back to the CPU L2 then L1', () => {
    const { m, dev, buf } = setup('direct', true);
    const a = buf.toString(16);
    const h = dma_map_single(dev, buf, 4096, FROM_DEVICE);
    dma_unmap_single(dev, h, 4096, FROM_DEVICE);
    const t = dma_map_single(dev, buf, 4096, TO_DEVICE);
    dma_unmap_single(dev, t, 4096, TO_DEVICE);
    const b = dma_map_single(dev, buf, 4096, BIDIRECTIONAL);
    dma_unmap_single(dev, b, 4096, BIDIRECTIONAL);
    expect(m.calls).toEqual([
      `l1map:2:${a}:4096`,
      `l2inv:${a}:4096`,
      `l2inv:${a}:4096`,
      `l1unmap:2:${a}:4096`,
      `l1map:1:${a}:4096`,
      `l2clean:${a}:4096`,
      `l1unmap:1:${a}:4096`,
      `l1map:0:${a}:4096`,
      `l2clean:${a}:4096`,
      `l2inv:${a}:4096`,
      `l1unmap:0:${a}:4096`,
    ]);
  });
  it('SKIP_CPU_SYNC does no maintenance', () => {
    const { m, dev, buf } = setup('direct', true);
    const h = dma_map_single_attrs(dev, buf, 4096, FROM_DEVICE, DmaAttr.SKIP_CPU_SYNC);
    dma_unmap_single_attrs(dev, h, 4096, FROM_DEVICE, DmaAttr.SKIP_CPU_SYNC);
    expect(m.calls).toEqual([]);
  });
  it('accounts the call cost: bytes, cycles to the core, stats', () => {
    const { m, dev, buf } = setup();
    const before = m.soc.cores[0]!.busyCycles;
    dma_map_single(dev, buf, 4096, TO_DEVICE);
    const cost = { ...m.sys.lastCost };
    expect(cost.bytesCleaned).toBe(4096);
    expect(cost.cycles).toBeGreaterThan(m.sys.params.callOverheadCycles);
    expect(m.soc.cores[0]!.busyCycles - before).toBe(cost.cycles);
    const stats = m.soc.sim.stats.toJSON() as Record<string, unknown>;
    expect(JSON.stringify(stats)).toContain('dma.11800000.fimc.cycles');
    expect(m.soc.sim.stats.counter('dma.bytesCleaned').value).toBe(4096);
  });
  it('is deterministic: the same calls cost the same cycles', () => {
    const run = () => {
      const { m, dev, buf } = setup();
      cpuWrite(m, buf, pattern(SIZE, 9));
      const h = dma_map_single(dev, buf, SIZE, BIDIRECTIONAL);
      dma_unmap_single(dev, h, SIZE, BIDIRECTIONAL);
      return m.soc.sim.stats.counter('dma.cycles').value;
    };
    expect(run()).toBe(run());
  });
});

describe('arm_coherent_dma_ops (io-coherent masters)', () => {
  for (const strategy of ['acp', 'ace-lite']) {
    it(`${strategy}: no maintenance, data intact both ways`, () => {
      const { m, dev, buf } = setup(strategy, true);
      expect(dev.coherency).toBe(strategy);
      const out = pattern(SIZE, 30);
      cpuWrite(m, buf, out);
      const h = dma_map_single(dev, buf, SIZE, BIDIRECTIONAL);
      expect(devRead(m, dev, h, SIZE)).toEqual(out);
      const back = pattern(SIZE, 31);
      devWrite(m, dev, h, back);
      dma_unmap_single(dev, h, SIZE, BIDIRECTIONAL);
      expect(cpuRead(m, buf, SIZE)).toEqual(back);
      expect(m.calls).toEqual([]);
    });
  }
  it('a coherent device under `direct` gets the coherent ops and cacheable allocations', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: 'acp-dev', coherency: 'acp' });
    expect(dev.ops.name).toBe('arm_coherent_dma_ops');
    const c = dma_alloc_coherent(dev, 4096)!;
    expect(c.cpuAddr).toBe(c.phys);
    expect(dma_mmap_attrs(dev, c.dmaHandle, 4096)?.memType).toBe('normal-wb');
  });
});

describe('arm_dma_alloc with attributes', () => {
  it('returns zeroed, non-cacheable memory remapped in the consistent area, visible to the device at once', () => {
    const { m, dev } = setup();
    const c = dma_alloc_coherent(dev, 10000)!;
    expect(m.sys.memory.vm.inArea(c.cpuAddr!)).toBe(true);
    expect(devRead(m, dev, c.dmaHandle, 10000)).toEqual(new Uint8Array(10000));
    const t = m.sys.memory.translate(c.cpuAddr!);
    expect(t).toEqual({ phys: c.phys, type: 'normal-nc' });
    const d = pattern(256, 40);
    m.platform.cpuWrite(0, t.phys, d, 0, 256, t.type);
    expect(devRead(m, dev, c.dmaHandle, 256)).toEqual(d);
    // CMA pages leave the linear map: no cacheable alias of the non-cacheable view.
    expect(m.soc.memory.attributes.aliasConflicts(c.phys, 12288)).toEqual([]);
    dma_free_coherent(dev, 10000, c.cpuAddr, c.dmaHandle);
    expect(m.sys.memoryUsage().cmaUsed).toBe(0);
    expect(m.soc.memory.attributes.inLinearMap(c.phys)).toBe(true);
  });
  it('NO_KERNEL_MAPPING saves exactly the page-rounded size of consistent-area VA', () => {
    const { m, dev } = setup();
    const base = m.sys.memoryUsage().consistentUsed;
    expect(base).toBe(256 * 1024); // the atomic pool's boot-time remap
    const a = dma_alloc_attrs(dev, 300_000, 0)!;
    const withMapping = m.sys.memoryUsage().consistentUsed - base;
    const b = dma_alloc_attrs(dev, 300_000, DmaAttr.NO_KERNEL_MAPPING)!;
    const without = m.sys.memoryUsage().consistentUsed - base - withMapping;
    expect(withMapping).toBe(303_104); // 74 pages
    expect(without).toBe(0);
    expect(b.cpuAddr).toBeNull();
    expect(dma_mmap_attrs(dev, b.dmaHandle, 300_000)).toEqual({ phys: b.phys, size: 303_104, memType: 'normal-nc' });
    dma_free_coherent(dev, 300_000, a.cpuAddr, a.dmaHandle);
    m.sys.debug.enabled = false;
    dma_free_coherent(dev, 300_000, null, b.dmaHandle);
    expect(m.sys.memoryUsage().consistentUsed).toBe(base);
  });
  it('the 2 MiB consistent area runs out for mapped buffers but not for NO_KERNEL_MAPPING ones', () => {
    const { m, dev } = setup();
    const mapped = [];
    for (let i = 0; i < 4; i++) mapped.push(dma_alloc_attrs(dev, 512 * 1024, 0));
    expect(mapped.filter((x) => x === null)).toHaveLength(1);
    expect(m.sys.dmesgLog.at(-1)).toMatch(/^vmap allocation for size 524288 failed/);
    for (let i = 0; i < 4; i++) expect(dma_alloc_attrs(dev, 512 * 1024, DmaAttr.NO_KERNEL_MAPPING)).not.toBeNull();
  });
  it('WRITE_COMBINE maps write-combine for the kernel and for user space', () => {
    const { m, dev } = setup();
    const c = dma_alloc_wc(dev, 4096)!;
    expect(m.sys.memory.translate(c.cpuAddr!).type).toBe('write-combine');
    expect(dma_mmap_attrs(dev, c.dmaHandle, 4096, DmaAttr.WRITE_COMBINE)?.memType).toBe('write-combine');
    const sg = dma_get_sgtable(dev, c.dmaHandle, 4096)!;
    expect(sg).toEqual([{ phys: c.phys, length: 4096, dmaAddress: 0, dmaLength: 0 }]);
  });
  it('GFP_ATOMIC allocations come from the 256 KiB atomic pool and report when it is too small', () => {
    const { m, dev } = setup();
    const c = dma_alloc_attrs(dev, 64 * 1024, 0, GFP_ATOMIC)!;
    expect(m.sys.memory.atomicPool.contains(c.phys, 65536)).toBe(true);
    expect(m.sys.memory.vm.inArea(c.cpuAddr!)).toBe(true);
    expect(dma_alloc_attrs(dev, 256 * 1024, 0, GFP_ATOMIC)).toBeNull();
    expect(m.sys.dmesgLog).toContain('ERROR: 256 KiB atomic DMA coherent pool is too small!');
  });
  it('dma_alloc_noncoherent (NON_CONSISTENT) gives cacheable memory that needs the explicit syncs', () => {
    const { m, dev } = setup();
    const c = dma_alloc_noncoherent(dev, 4096)!;
    expect(c.cpuAddr).toBe(c.phys); // linear map, cacheable
    expect(dma_mmap_attrs(dev, c.dmaHandle, 4096)?.memType).toBe('normal-wb');
    const d = pattern(4096, 50);
    cpuWrite(m, c.phys, d);
    dma_sync_single_for_device(dev, c.dmaHandle, 4096, TO_DEVICE);
    expect(devRead(m, dev, c.dmaHandle, 4096)).toEqual(d);
    dma_free_noncoherent(dev, 4096, c.cpuAddr, c.dmaHandle);
    expect(m.sys.violations).toEqual([]);
  });
});
