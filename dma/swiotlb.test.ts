import { describe, expect, it } from 'vitest';
import { dmaBitMask } from './device.ts';
import { dma_map_single, dma_map_single_attrs, dma_mapping_error, dma_sync_single_for_cpu, dma_sync_single_for_device, dma_unmap_single, dma_unmap_single_attrs } from './mapping.ts';
import { DmaAttr, DmaDirection } from './types.ts';
import { cpuRead, cpuWrite, devRead, devWrite, makeMachine, pattern } from './test-support.ts';
import type { DmaParams } from './env.ts';
import type { SwiotlbOps } from './swiotlb.ts';

const { TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL } = DmaDirection;

function setup(params: Partial<DmaParams> = {}, coherency: 'none' | 'acp' = 'none') {
  const m = makeMachine({ strategy: 'swiotlb', params });
  const dev = m.sys.addDevice({ name: 'd4281000.sdh', driver: 'sdhci', coherency });
  const buf = m.sys.memory.allocPages(65536);
  const pool = (dev.ops as SwiotlbOps).pool;
  return { m, dev, buf, pool };
}

describe('swiotlb ops (force)', () => {
  for (const coherency of ['none', 'acp'] as const) {
    it(`${coherency}: every direction round-trips through the bounce slots`, () => {
      const { m, dev, buf, pool } = setup({}, coherency);
      const out = pattern(6000, 1);
      cpuWrite(m, buf, out);
      const h = dma_map_single(dev, buf, 6000, BIDIRECTIONAL);
      expect(pool.isBounce(h)).toBe(true);
      expect(devRead(m, dev, h, 6000)).toEqual(out);
      const back = pattern(6000, 2);
      devWrite(m, dev, h, back);
      dma_unmap_single(dev, h, 6000, BIDIRECTIONAL);
      expect(cpuRead(m, buf, 6000)).toEqual(back);
      expect(pool.usedSlotCount).toBe(0);

      const t = dma_map_single(dev, buf, 3000, TO_DEVICE);
      expect(devRead(m, dev, t, 3000)).toEqual(back.subarray(0, 3000));
      devWrite(m, dev, t, pattern(3000, 3));
      dma_unmap_single(dev, t, 3000, TO_DEVICE);
      expect(cpuRead(m, buf, 3000)).toEqual(back.subarray(0, 3000));

      const f = dma_map_single(dev, buf, 3000, FROM_DEVICE);
      const fresh = pattern(3000, 4);
      devWrite(m, dev, f, fresh);
      dma_unmap_single(dev, f, 3000, FROM_DEVICE);
      expect(cpuRead(m, buf, 3000)).toEqual(fresh);
    });
  }
  it('copies in on every map, even FROM_DEVICE, so a partial device write leaves the original bytes', () => {
    const { m, dev, buf } = setup();
    const orig = pattern(4096, 5);
    cpuWrite(m, buf, orig);
    const h = dma_map_single(dev, buf, 4096, FROM_DEVICE);
    expect(m.sys.lastCost.bytesBounced).toBe(4096);
    devWrite(m, dev, h, pattern(100, 6));
    dma_unmap_single(dev, h, 4096, FROM_DEVICE);
    const now = cpuRead(m, buf, 4096);
    expect(now.subarray(0, 100)).toEqual(pattern(100, 6));
    expect(now.subarray(100)).toEqual(orig.subarray(100));
  });
  it('syncs copy per direction', () => {
    const { m, dev, buf } = setup();
    const h = dma_map_single(dev, buf, 2048, BIDIRECTIONAL);
    const a = pattern(2048, 7);
    devWrite(m, dev, h, a);
    dma_sync_single_for_cpu(dev, h, 2048, BIDIRECTIONAL);
    expect(cpuRead(m, buf, 2048)).toEqual(a);
    const b = pattern(2048, 8);
    cpuWrite(m, buf, b);
    dma_sync_single_for_device(dev, h, 2048, BIDIRECTIONAL);
    expect(devRead(m, dev, h, 2048)).toEqual(b);
    dma_unmap_single(dev, h, 2048, BIDIRECTIONAL);
  });
  it('SKIP_CPU_SYNC at unmap copies nothing back', () => {
    const { m, dev, buf } = setup();
    const orig = pattern(1024, 9);
    cpuWrite(m, buf, orig);
    const h = dma_map_single(dev, buf, 1024, FROM_DEVICE);
    devWrite(m, dev, h, pattern(1024, 10));
    dma_unmap_single_attrs(dev, h, 1024, FROM_DEVICE, DmaAttr.SKIP_CPU_SYNC);
    expect(cpuRead(m, buf, 1024)).toEqual(orig);
  });
  it('the bounce slots get cache maintenance for a non-coherent device', () => {
    const { m, dev, buf } = setup();
    const h = dma_map_single(dev, buf, 4096, TO_DEVICE);
    expect(m.sys.lastCost.bytesCleaned).toBe(4096);
    dma_unmap_single(dev, h, 4096, TO_DEVICE);
  });
  it('exhaustion prints the kernel message, fails the map, loses nothing, and later maps succeed', () => {
    const { m, dev, buf, pool } = setup({ swiotlbBytes: 1 << 20 }); // 512 slots
    const hs: number[] = [];
    for (let i = 0; i < 4; i++) hs.push(dma_map_single(dev, buf, 65536, TO_DEVICE)); // 4 x 32 slots
    const used = pool.usedSlotCount;
    const big = m.sys.memory.allocPages(262144);
    const maps: number[] = [];
    let h = 0;
    while (!dma_mapping_error(dev, (h = dma_map_single(dev, big, 262144, TO_DEVICE)))) maps.push(h);
    expect(m.sys.dmesgLog.at(-1)).toBe(`sdhci d4281000.sdh: swiotlb buffer is full (sz: 262144 bytes), total 512 (slots), used ${used + maps.length * 128} (slots)`);
    expect(pool.usedSlotCount).toBe(used + maps.length * 128);
    for (const x of maps) dma_unmap_single(dev, x, 262144, TO_DEVICE);
    for (const x of hs) dma_unmap_single(dev, x, 65536, TO_DEVICE);
    expect(pool.usedSlotCount).toBe(0);
    expect(dma_mapping_error(dev, dma_map_single(dev, big, 262144, TO_DEVICE))).toBe(false);
  });
  it('NO_WARN suppresses the message', () => {
    const { m, dev, buf } = setup({ swiotlbBytes: 256 << 10 });
    dma_map_single(dev, buf, 65536, TO_DEVICE);
    const h = dma_map_single_attrs(dev, buf, 262144, TO_DEVICE, DmaAttr.NO_WARN);
    expect(dma_mapping_error(dev, h)).toBe(true);
    expect(m.sys.dmesgLog).toEqual([]);
  });
});

describe('swiotlb without force (dma-direct)', () => {
  it('maps reachable buffers directly and bounces what the mask cannot reach', () => {
    const { m, buf } = setup({ swiotlbForce: false });
    const near = m.sys.addDevice({ name: 'near', dmaMask: dmaBitMask(32) });
    const far = m.sys.addDevice({ name: 'far', dmaMask: 0x44ffffff });
    expect(dma_map_single(near, buf, 4096, TO_DEVICE)).toBe(buf);
    const pool = (far.ops as SwiotlbOps).pool;
    expect(buf + 4095).toBeGreaterThan(0x44ffffff);
    const h = dma_map_single(far, buf, 4096, TO_DEVICE);
    expect(pool.isBounce(h)).toBe(true);
    expect(m.sys.violations.filter((v) => v.kind === 'out-of-mask')).toEqual([]);
  });
  it('arm64 rule: bounces small, unaligned kmalloc-sized FROM_DEVICE mappings of a non-coherent device', () => {
    const { m, dev, pool } = setup({ swiotlbForce: false, kmallocBounce: true, kmallocMinAlign: 8, archDmaMinAlign: 128 });
    const k = m.sys.memory.kmalloc;
    const a = k.kmalloc(4);
    const b = k.kmalloc(4);
    const ha = dma_map_single(dev, a, 4, FROM_DEVICE);
    const hb = dma_map_single(dev, b, 4, FROM_DEVICE);
    expect(pool.isBounce(ha) && pool.isBounce(hb)).toBe(true);
    expect(m.sys.violations.filter((v) => v.kind === 'overlapping-cacheline')).toEqual([]);
    const t = dma_map_single(dev, k.kmalloc(4), 4, TO_DEVICE);
    expect(pool.isBounce(t)).toBe(false);
    const big = dma_map_single(dev, k.kmalloc(256), 256, FROM_DEVICE);
    expect(pool.isBounce(big)).toBe(false);
    const coh = m.sys.addDevice({ name: 'coh', coherency: 'acp' });
    expect(pool.isBounce(dma_map_single(coh, k.kmalloc(4), 4, FROM_DEVICE))).toBe(false);
  });
  it('with the rule switched off the same mappings share a line and dma-debug says EEXIST', () => {
    const { m, dev, pool } = setup({ swiotlbForce: false, kmallocBounce: false, kmallocMinAlign: 8 });
    const k = m.sys.memory.kmalloc;
    const ha = dma_map_single(dev, k.kmalloc(4), 4, FROM_DEVICE);
    dma_map_single(dev, k.kmalloc(4), 4, FROM_DEVICE);
    expect(pool.isBounce(ha)).toBe(false);
    expect(m.sys.violations.map((v) => v.kind)).toContain('overlapping-cacheline');
  });
});

describe('swiotlb on ARMv7 maintenance (FROM_DEVICE invalidated at map)', () => {
  it('loses the copy-in: a partial device write exposes stale slot bytes', () => {
    const { m, dev, buf } = setup({ swiotlbCleanFromDevice: false });
    const orig = pattern(4096, 12);
    cpuWrite(m, buf, orig);
    const h = dma_map_single(dev, buf, 4096, FROM_DEVICE);
    devWrite(m, dev, h, pattern(100, 13));
    dma_unmap_single(dev, h, 4096, FROM_DEVICE);
    expect(cpuRead(m, buf, 4096).subarray(100)).not.toEqual(orig.subarray(100));
  });
});
