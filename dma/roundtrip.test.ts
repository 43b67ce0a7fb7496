import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dma_map_single, dma_mapping_error, dma_unmap_single } from './mapping.ts';
import { DmaDirection } from './types.ts';
import { cpuRead, cpuWrite, devRead, devWrite, makeMachine, pattern } from './test-support.ts';

const DIRS = [DmaDirection.BIDIRECTIONAL, DmaDirection.TO_DEVICE, DmaDirection.FROM_DEVICE] as const;

describe('any correct map/transfer/unmap sequence moves data intact and leaves nothing behind', () => {
  for (const strategy of ['direct', 'dmabounce', 'swiotlb', 'acp']) {
    it(strategy, () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ off: fc.integer({ min: 0, max: 4095 }), size: fc.integer({ min: 1, max: 12000 }), dir: fc.constantFrom(...DIRS), seed: fc.integer({ min: 1, max: 1 << 30 }) }), { minLength: 1, maxLength: 6 }),
          (steps) => {
            const m = makeMachine({ strategy });
            const dram = m.platform.dram.base;
            // dmabounce: a 64 MiB window at bus 0, so page-allocator buffers bounce.
            const dev = m.sys.addDevice(strategy === 'dmabounce' ? { name: 'd', dmaMask: (64 << 20) - 1, dmaRange: { cpuBase: dram, dmaBase: 0 } } : { name: 'd' });
            const region = m.sys.memory.allocPages(16384 + 4096);
            for (const s of steps) {
              const pa = region + s.off;
              const cpuData = pattern(s.size, s.seed);
              cpuWrite(m, pa, cpuData);
              const h = dma_map_single(dev, pa, s.size, s.dir);
              expect(dma_mapping_error(dev, h)).toBe(false);
              if (s.dir !== DmaDirection.FROM_DEVICE) expect(devRead(m, dev, h, s.size)).toEqual(cpuData);
              const devData = pattern(s.size, s.seed + 1);
              if (s.dir !== DmaDirection.TO_DEVICE) devWrite(m, dev, h, devData);
              dma_unmap_single(dev, h, s.size, s.dir);
              expect(cpuRead(m, pa, s.size)).toEqual(s.dir === DmaDirection.TO_DEVICE ? cpuData : devData);
            }
            expect(m.sys.violations).toEqual([]);
            expect(m.sys.debug.liveEntries).toBe(0);
            expect(m.sys.memory.swiotlb?.usedSlotCount ?? 0).toBe(0);
          },
        ),
        { numRuns: 15, seed: 42 },
      );
    });
  }
});
