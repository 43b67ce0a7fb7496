import { describe, expect, it } from 'vitest';
import { createArmDmaOps } from './direct.ts';
import { dmaBitMask, physToDma } from './device.ts';
import {
  dma_alloc_coherent,
  dma_map_resource,
  dma_map_sg,
  dma_map_single,
  dma_mapping_error,
  dma_set_mask,
  dma_set_mask_and_coherent,
  dma_sync_sg_for_cpu,
  dma_unmap_sg,
  dma_unmap_single,
} from './mapping.ts';
import { sgInitTable } from './scatterlist.ts';
import { DMA_MAPPING_ERROR, DmaDirection } from './types.ts';
import { cpuRead, cpuWrite, devRead, devWrite, makeMachine, pattern } from './test-support.ts';
import type { SwiotlbOps } from './swiotlb.ts';

const { TO_DEVICE, FROM_DEVICE } = DmaDirection;

describe('scatter-gather on the generic ops (the seed\'s patch 4)', () => {
  it('maps each entry with map_page and moves data intact', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: 'pdma0', driver: 'pl330' });
    const bufs = [m.sys.memory.allocPages(4096), m.sys.memory.allocPages(8192), m.sys.memory.allocPages(4096)];
    const sg = sgInitTable(bufs.map((phys, i) => ({ phys, length: i === 1 ? 8192 : 4096 })));
    expect(dma_map_sg(dev, sg, 3, FROM_DEVICE)).toBe(3);
    const datas = sg.map((s, i) => pattern(s.length, 100 + i));
    sg.forEach((s, i) => devWrite(m, dev, s.dmaAddress, datas[i]!));
    dma_sync_sg_for_cpu(dev, sg, 3, FROM_DEVICE);
    sg.forEach((s, i) => expect(cpuRead(m, s.phys, s.length)).toEqual(datas[i]));
    dma_unmap_sg(dev, sg, 3, FROM_DEVICE);
    expect(m.sys.lastCost.bytesInvalidated).toBe(16384);
    expect(m.sys.violations).toEqual([]);
  });
  it('unwinds what it mapped and returns 0 when an entry fails', () => {
    const m = makeMachine({ strategy: 'swiotlb', params: { swiotlbBytes: 512 << 10 } }); // 2 segments
    const dev = m.sys.addDevice({ name: 'mmc0' });
    const pool = (dev.ops as SwiotlbOps).pool;
    const big = m.sys.memory.allocPages(262144);
    const sg = sgInitTable([
      { phys: big, length: 262144 },
      { phys: big, length: 262144 },
      { phys: big, length: 262144 },
    ]);
    expect(dma_map_sg(dev, sg, 3, TO_DEVICE)).toBe(0);
    expect(pool.usedSlotCount).toBe(0);
    expect(m.sys.debug.liveEntries).toBe(0);
    expect(dma_map_sg(dev, sg, 2, TO_DEVICE)).toBe(2);
  });
  it('uses the ops\' own map_sg when the table has one', () => {
    const m = makeMachine();
    let called = 0;
    m.sys.registerStrategy('merging', (env) => {
      const base = createArmDmaOps(env);
      return {
        ...base,
        name: 'merging',
        mapSg(dev, sg, dir, attrs) {
          called++;
          for (const s of sg) {
            s.dmaAddress = base.mapPage(dev, s.phys, s.length, dir, attrs);
            s.dmaLength = s.length;
          }
          return sg.length;
        },
      };
    });
    const dev = m.sys.addDevice({ name: 'x', strategy: 'merging' });
    const sg = sgInitTable([{ phys: m.sys.memory.allocPages(4096), length: 4096 }]);
    expect(dma_map_sg(dev, sg, 1, TO_DEVICE)).toBe(1);
    expect(called).toBe(1);
    expect(m.sys.strategyNames()).toContain('merging');
  });
});

describe('device addresses', () => {
  it('apply the dma-ranges offset both ways', () => {
    const m = makeMachine();
    const dram = m.platform.dram.base;
    const dev = m.sys.addDevice({ name: 'offset', dmaRange: { cpuBase: dram, dmaBase: 0x80000000 } });
    const buf = m.sys.memory.allocPages(4096);
    const d = pattern(4096, 1);
    cpuWrite(m, buf, d);
    const h = dma_map_single(dev, buf, 4096, TO_DEVICE);
    expect(h).toBe(buf - dram + 0x80000000);
    expect(devRead(m, dev, h, 4096)).toEqual(d);
    dma_unmap_single(dev, h, 4096, TO_DEVICE);
    const c = dma_alloc_coherent(dev, 4096)!;
    expect(c.dmaHandle).toBe(physToDma(dev, c.phys));
  });
  it('report out-of-mask when a strategy hands the device an address it cannot reach', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: '12680000.pdma', driver: 'dma-pl330', dmaMask: 0x44ffffff });
    const buf = m.sys.memory.allocPages(4096);
    expect(buf).toBeGreaterThan(0x44ffffff);
    const h = dma_map_single(dev, buf, 4096, TO_DEVICE);
    expect(m.sys.violations).toHaveLength(1);
    const v = m.sys.violations[0]!;
    expect(v.kind).toBe('out-of-mask');
    expect(v.message).toBe(`dma-pl330 12680000.pdma: DMA addr 0x${h.toString(16).padStart(16, '0')}+4096 overflow (mask 44ffffff, bus limit 0).`);
    expect(v.hint).toMatch(/swiotlb/);
  });
  it('dma_set_mask changes what is reachable', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: 'd', dmaMask: 0x44ffffff });
    expect(dma_set_mask_and_coherent(dev, dmaBitMask(32))).toBe(0);
    expect(dev.dmaMask).toBe(0xffffffff);
    expect(dev.coherentDmaMask).toBe(0xffffffff);
    expect(dma_set_mask(dev, dmaBitMask(64))).toBe(0);
    expect(dev.dmaMask).toBe(Number.MAX_SAFE_INTEGER);
    const buf = m.sys.memory.allocPages(4096);
    dma_map_single(dev, buf, 4096, TO_DEVICE);
    expect(m.sys.violations.filter((v) => v.kind === 'out-of-mask')).toEqual([]);
  });
  it('dma_map_single refuses a remapped (vmalloc-area) address', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: 'd' });
    const c = dma_alloc_coherent(dev, 4096)!;
    expect(dma_map_single(dev, c.cpuAddr!, 64, TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
    expect(m.sys.dmesgLog).toContain('d d: rejecting DMA map of vmalloc memory');
  });
});

describe('dma_map_resource', () => {
  it('translates an MMIO address with no cache maintenance and tracks it as a resource', () => {
    const m = makeMachine({ record: true });
    const dev = m.sys.addDevice({ name: '12680000.pdma', driver: 'dma-pl330', dmaRange: { cpuBase: 0, dmaBase: 0x1000 } });
    const h = dma_map_resource(dev, 0x13830010, 4, TO_DEVICE);
    expect(h).toBe(0x13831010);
    expect(m.calls).toEqual([]);
    dma_mapping_error(dev, h);
    dma_unmap_single(dev, h, 4, TO_DEVICE);
    expect(m.sys.violations.map((v) => v.message)).toEqual([
      `DMA-API: dma-pl330 12680000.pdma: device driver frees DMA memory with wrong function [device address=0x0000000013831010] [size=4 bytes] [mapped as resource] [unmapped as single]`,
    ]);
  });
});

describe('per-call cost', () => {
  it('a bounced map costs its copy: bytes bounced and more cycles than a direct map', () => {
    const direct = makeMachine();
    const dd = direct.sys.addDevice({ name: 'a' });
    dma_map_single(dd, direct.sys.memory.allocPages(65536), 65536, TO_DEVICE);
    const directCost = { ...direct.sys.lastCost };
    const sw = makeMachine({ strategy: 'swiotlb' });
    const sd = sw.sys.addDevice({ name: 'a' });
    dma_map_single(sd, sw.sys.memory.allocPages(65536), 65536, TO_DEVICE);
    const swCost = { ...sw.sys.lastCost };
    expect(directCost.bytesBounced).toBe(0);
    expect(swCost.bytesBounced).toBe(65536);
    expect(swCost.cycles).toBeGreaterThan(directCost.cycles);
    expect(sw.soc.sim.stats.counter('dma.bytesBounced').value).toBe(65536);
    expect(sw.soc.sim.stats.counter('dma.a.calls').value).toBe(1);
  });
});

describe('DmaSystem', () => {
  it('refuses unknown strategies and duplicate devices with clear errors', () => {
    const m = makeMachine();
    expect(() => m.sys.addDevice({ name: 'a', strategy: 'magic' })).toThrow(/unknown DMA strategy "magic"/);
    m.sys.addDevice({ name: 'a' });
    expect(() => m.sys.addDevice({ name: 'a' })).toThrow(/already exists/);
  });
  it('lists the built-in strategies', () => {
    expect(makeMachine().sys.strategyNames()).toEqual(['direct', 'coherent', 'wc', 'dmabounce', 'swiotlb', 'acp', 'ace-lite']);
  });
  it('refuses calls on a removed device', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: 'gone' });
    m.sys.removeDevice('gone');
    expect(() => dma_map_single(dev, m.sys.memory.allocPages(4096), 64, TO_DEVICE)).toThrow(/was removed/);
  });
  it('publishes allocator usage into stats', () => {
    const m = makeMachine();
    const dev = m.sys.addDevice({ name: 'd' });
    dma_alloc_coherent(dev, 8192);
    m.sys.publishStats();
    expect(m.soc.sim.stats.counter('dma.mem.consistentUsed').value).toBe(256 * 1024 + 8192);
    dma_mapping_error(dev, 0);
  });
});
