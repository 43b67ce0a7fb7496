import { describe, expect, it } from 'vitest';
import { dmaBitMask, physToDma } from './device.ts';
import { dma_map_single, dma_mapping_error, dma_sync_single_for_cpu, dma_sync_single_for_device, dma_unmap_single } from './mapping.ts';
import { DmaDirection } from './types.ts';
import { cpuRead, cpuWrite, devRead, devWrite, makeMachine, pattern } from './test-support.ts';
import type { DmabounceOps } from './dmabounce.ts';

const { TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL } = DmaDirection;
const WINDOW = 64 << 20;

/** An SA-1111-like master that sees only the first 64 MiB of DRAM, at bus address 0. */
function setup() {
  const m = makeMachine({ strategy: 'dmabounce' });
  const dram = m.platform.dram.base;
  const dev = m.sys.addDevice({ name: 'sa1111-ohci', driver: 'ohci', dmaMask: WINDOW - 1, dmaRange: { cpuBase: dram, dmaBase: 0 } });
  const buf = m.sys.memory.allocPages(8192); // above the window: must bounce
  const ops = dev.ops as DmabounceOps;
  return { m, dev, buf, ops };
}

describe('dmabounce_ops', () => {
  it('bounces a buffer outside the window through a safe buffer inside it', () => {
    const { m, dev, buf, ops } = setup();
    expect(physToDma(dev, buf)).toBeGreaterThan(WINDOW - 1);
    const h = dma_map_single(dev, buf, 400, TO_DEVICE);
    expect(dma_mapping_error(dev, h)).toBe(false);
    expect(h + 400 - 1).toBeLessThanOrEqual(WINDOW - 1);
    expect(ops.liveSafeBuffers(dev)).toBe(1);
    dma_unmap_single(dev, h, 400, TO_DEVICE);
    expect(ops.liveSafeBuffers(dev)).toBe(0);
    expect(m.sys.violations).toEqual([]);
  });
  it('TO_DEVICE copies to the safe buffer at map, never back', () => {
    const { m, dev, buf } = setup();
    const d = pattern(3000, 1);
    cpuWrite(m, buf, d);
    const h = dma_map_single(dev, buf, 3000, TO_DEVICE);
    expect(m.sys.lastCost.bytesBounced).toBe(3000);
    expect(devRead(m, dev, h, 3000)).toEqual(d);
    devWrite(m, dev, h, pattern(3000, 2)); // a misbehaving device: must not reach the CPU buffer
    dma_unmap_single(dev, h, 3000, TO_DEVICE);
    expect(m.sys.lastCost.bytesBounced).toBe(0);
    expect(cpuRead(m, buf, 3000)).toEqual(d);
  });
  it('FROM_DEVICE copies back only at sync_for_cpu and unmap', () => {
    const { m, dev, buf } = setup();
    const old = pattern(4096, 3);
    cpuWrite(m, buf, old);
    const h = dma_map_single(dev, buf, 4096, FROM_DEVICE);
    expect(m.sys.lastCost.bytesBounced).toBe(0);
    const first = pattern(4096, 4);
    devWrite(m, dev, h, first);
    expect(cpuRead(m, buf, 4096)).toEqual(old); // no sync yet: the data sits in the safe buffer
    dma_sync_single_for_cpu(dev, h, 4096, FROM_DEVICE);
    expect(cpuRead(m, buf, 4096)).toEqual(first);
    cpuWrite(m, buf, old);
    dma_sync_single_for_device(dev, h, 4096, FROM_DEVICE); // FROM_DEVICE: nothing goes out
    expect(devRead(m, dev, h, 4096)).toEqual(first);
    const second = pattern(4096, 5);
    devWrite(m, dev, h, second);
    dma_unmap_single(dev, h, 4096, FROM_DEVICE);
    expect(cpuRead(m, buf, 4096)).toEqual(second);
  });
  it('BIDIRECTIONAL copies out at map and sync_for_device, back at sync_for_cpu and unmap', () => {
    const { m, dev, buf } = setup();
    const a = pattern(2000, 6);
    cpuWrite(m, buf, a);
    const h = dma_map_single(dev, buf, 2000, BIDIRECTIONAL);
    expect(devRead(m, dev, h, 2000)).toEqual(a);
    const b = pattern(2000, 7);
    cpuWrite(m, buf, b);
    expect(devRead(m, dev, h, 2000)).toEqual(a);
    dma_sync_single_for_device(dev, h, 2000, BIDIRECTIONAL);
    expect(devRead(m, dev, h, 2000)).toEqual(b);
    const c = pattern(2000, 8);
    devWrite(m, dev, h, c);
    dma_sync_single_for_cpu(dev, h, 2000, BIDIRECTIONAL);
    expect(cpuRead(m, buf, 2000)).toEqual(c);
    dma_unmap_single(dev, h, 2000, BIDIRECTIONAL);
    expect(cpuRead(m, buf, 2000)).toEqual(c);
  });
  it('a missing sync_for_cpu leaves the device data uncopied (bug catalog 8)', () => {
    const { m, dev, buf } = setup();
    const h = dma_map_single(dev, buf, 1024, FROM_DEVICE);
    devWrite(m, dev, h, pattern(1024, 9));
    expect(cpuRead(m, buf, 1024)).not.toEqual(pattern(1024, 9));
    dma_unmap_single(dev, h, 1024, FROM_DEVICE);
  });
  it('uses the small pool, the large pool, then a coherent allocation, all from the atomic pool (GFP_ATOMIC)', () => {
    const { m, dev } = setup();
    const big = m.sys.memory.allocPages(65536);
    const used = () => m.sys.memoryUsage().atomicPoolUsed;
    const hs = dma_map_single(dev, big, 512, TO_DEVICE);
    const hl = dma_map_single(dev, big + 4096, 4096, TO_DEVICE);
    expect(used()).toBe(8192); // one page per pool
    const hc = dma_map_single(dev, big + 8192, 20000, TO_DEVICE);
    expect(used()).toBe(8192 + 20480); // 5 pages (aligned to order 3 in the pool)
    expect(m.sys.memoryUsage().cmaUsed).toBe(0);
    dma_unmap_single(dev, hc, 20000, TO_DEVICE);
    expect(used()).toBe(8192);
    dma_unmap_single(dev, hs, 512, TO_DEVICE);
    dma_unmap_single(dev, hl, 4096, TO_DEVICE);
  });
  it('refuses (and reports) an unmap with a different size or direction, as the kernel BUG_ONs', () => {
    const { m, dev, buf, ops } = setup();
    m.sys.debug.enabled = false;
    const h = dma_map_single(dev, buf, 1000, FROM_DEVICE);
    dma_unmap_single(dev, h, 500, FROM_DEVICE);
    dma_unmap_single(dev, h, 1000, TO_DEVICE);
    dma_sync_single_for_cpu(dev, h, 1000, BIDIRECTIONAL);
    expect(m.sys.violations.map((v) => v.kind)).toEqual(['unmap-size-mismatch', 'unmap-dir-mismatch', 'sync-dir-mismatch']);
    const hex = `0x${h.toString(16).padStart(16, '0')}`;
    expect(m.sys.violations[0]!.message).toBe(`dmabounce: ohci sa1111-ohci: kernel BUG: BUG_ON(buf->size != size) [device address=${hex}] [map size=1000 bytes] [unmap size=500 bytes]`);
    expect(ops.liveSafeBuffers(dev)).toBe(1);
    dma_unmap_single(dev, h, 1000, FROM_DEVICE);
    expect(ops.liveSafeBuffers(dev)).toBe(0);
  });
  it('maps reachable buffers directly with the ARM maintenance', () => {
    const m = makeMachine({ strategy: 'dmabounce' });
    const dev = m.sys.addDevice({ name: 'full', dmaMask: dmaBitMask(32) });
    const buf = m.sys.memory.allocPages(4096);
    const d = pattern(4096, 11);
    cpuWrite(m, buf, d);
    const h = dma_map_single(dev, buf, 4096, TO_DEVICE);
    expect(h).toBe(buf);
    expect(m.sys.lastCost.bytesCleaned).toBe(4096);
    expect(devRead(m, dev, h, 4096)).toEqual(d);
    dma_unmap_single(dev, h, 4096, TO_DEVICE);
  });
  it('rejects a mapping larger than the whole window', () => {
    const m = makeMachine({ strategy: 'dmabounce' });
    const dev = m.sys.addDevice({ name: 'tiny', driver: 't', dmaMask: 0xffff, dmaRange: { cpuBase: m.platform.dram.base, dmaBase: 0 } });
    const buf = m.sys.memory.allocPages(131072);
    expect(dma_mapping_error(dev, dma_map_single(dev, buf, 131072, TO_DEVICE))).toBe(true);
    expect(m.sys.dmesgLog).toContain('t tiny: DMA mapping too big (requested 0x20000 mask 0xffff)');
  });
});
