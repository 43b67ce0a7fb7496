import { describe, it, expect } from 'vitest';
import { createDmaMachine, dma_map_single, dma_mapping_error, dma_unmap_single, DmaDirection } from './index.ts';

describe('the library entry', () => {
  it('runs the README example: a device write that the CPU may read after unmap', () => {
    const m = createDmaMachine('exynos4412', { seed: 1, strategy: 'direct' });
    const dev = m.addDevice({ name: 'fimc', dmaMaskBits: 32 });
    const buf = m.sys.memory.allocPages(4096);
    const handle = dma_map_single(dev, buf, 4096, DmaDirection.FROM_DEVICE);
    expect(dma_mapping_error(dev, handle)).toBe(false);
    m.deviceAccess(dev, handle, new Uint8Array(4096).fill(7), 0, 4096, true);
    dma_unmap_single(dev, handle, 4096, DmaDirection.FROM_DEVICE);
    expect(m.sys.lastCost.bytesInvalidated).toBeGreaterThan(0);
    expect(m.violations).toEqual([]);
    const seen = new Uint8Array(4096);
    m.soc.memory.cpuRead(0, buf, seen, 0, 4096);
    expect(seen.every((b) => b === 7)).toBe(true);
    expect(m.violations).toEqual([]);
  });

  it('reports the README example without its mapping_error check, as dma-debug does', () => {
    const m = createDmaMachine('exynos4412', { seed: 1 });
    const dev = m.addDevice({ name: 'fimc', dmaMaskBits: 32 });
    const buf = m.sys.memory.allocPages(4096);
    const handle = dma_map_single(dev, buf, 4096, DmaDirection.FROM_DEVICE);
    dma_unmap_single(dev, handle, 4096, DmaDirection.FROM_DEVICE);
    expect(m.violations.map((v) => v.kind)).toEqual(['map-error-unchecked']);
  });
});
