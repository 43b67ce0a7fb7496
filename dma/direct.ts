// arm_dma_ops (non-coherent ARMv7: cache maintenance on every ownership change) and arm_coherent_dma_ops
// (io-coherent masters: no maintenance, cacheable allocations). Both translate with dma-ranges only.
import { armAlloc, armFree, armGetSgtable, armMmap } from './coherent-alloc.ts';
import { syncForCpu, syncForDevice } from './cache-sync.ts';
import { dmaToPhys, physToDma } from './device.ts';
import { DmaAttr } from './types.ts';
import type { DmaEnv } from './env.ts';
import type { DeviceLike, DmaDirection, DmaMapOps } from './types.ts';

export function createArmDmaOps(env: DmaEnv): DmaMapOps {
  return {
    name: 'arm_dma_ops',
    alloc: (dev, size, attrs) => armAlloc(env, dev, size, attrs, false),
    free: (dev, buf) => armFree(env, dev, buf),
    mmap: (dev, buf, attrs) => armMmap(env, dev, buf, attrs),
    getSgtable: (dev, buf) => armGetSgtable(env, dev, buf),
    mapPage(dev: DeviceLike, phys: number, size: number, dir: DmaDirection, attrs: number): number {
      if ((attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForDevice(env, phys, size, dir);
      return physToDma(dev, phys);
    },
    unmapPage(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection, attrs: number): void {
      if ((attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForCpu(env, dmaToPhys(dev, dmaAddr), size, dir);
    },
    syncSingleForCpu(dev, dmaAddr, size, dir): void {
      syncForCpu(env, dmaToPhys(dev, dmaAddr), size, dir);
    },
    syncSingleForDevice(dev, dmaAddr, size, dir): void {
      syncForDevice(env, dmaToPhys(dev, dmaAddr), size, dir);
    },
  };
}

export function createArmCoherentDmaOps(env: DmaEnv): DmaMapOps {
  return {
    name: 'arm_coherent_dma_ops',
    alloc: (dev, size, attrs) => armAlloc(env, dev, size, attrs, true),
    free: (dev, buf) => armFree(env, dev, buf),
    mmap: (dev, buf, attrs) => armMmap(env, dev, buf, attrs),
    getSgtable: (dev, buf) => armGetSgtable(env, dev, buf),
    mapPage: (dev, phys) => physToDma(dev, phys),
    unmapPage: () => {},
  };
}
