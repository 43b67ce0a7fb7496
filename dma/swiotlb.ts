// dma-direct with swiotlb (kernel/dma/direct.h + kernel/dma/swiotlb.c, about v6.6): a streaming mapping
// bounces through the swiotlb pool when forced (swiotlb=force), when the device cannot reach the buffer,
// or under the arm64 v6.5 rule (a small kmalloc-sized buffer whose rounded size is not cache-line aligned,
// mapped FROM_DEVICE/BIDIRECTIONAL by a non-coherent device). Map copies the original in on EVERY map,
// unmap copies back for FROM_DEVICE/BIDIRECTIONAL unless SKIP_CPU_SYNC, the syncs copy per direction, and
// the bounce slots themselves get cache maintenance for non-coherent devices.
import { armAlloc, armFree, armGetSgtable, armMmap } from './coherent-alloc.ts';
import { bounceCopy, syncForCpu, syncForDevice } from './cache-sync.ts';
import { dmaCapable, dmaToPhys, physToDma } from './device.ts';
import { __GFP_NOWARN } from './env.ts';
import { swiotlbFullMessage } from './swiotlb-pool.ts';
import { DMA_MAPPING_ERROR, DmaAttr, DmaDirection } from './types.ts';
import type { DmaEnv } from './env.ts';
import type { SwiotlbPool } from './swiotlb-pool.ts';
import type { DeviceLike, DmaMapOps } from './types.ts';

export interface SwiotlbOptions {
  /** swiotlb=force: bounce every streaming mapping. */
  force: boolean;
  /** CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC: the arm64 small-kmalloc rule. */
  kmallocBounce: boolean;
  /**
   * arch_sync_dma_for_device cleans FROM_DEVICE buffers instead of invalidating them (arm64 >= v5.19).
   * Without it the copy-in of a FROM_DEVICE bounce is invalidated away before the device writes.
   */
  cleanFromDevice: boolean;
}

export interface SwiotlbOps extends DmaMapOps {
  readonly pool: SwiotlbPool;
  readonly options: SwiotlbOptions;
}

const hexPad = (n: number): string => `0x${n.toString(16).padStart(16, '0')}`;

export function createSwiotlbOps(env: DmaEnv, options: Partial<SwiotlbOptions> = {}): SwiotlbOps {
  const pool = env.memory.swiotlb;
  if (pool === null) throw new RangeError('swiotlb ops: the swiotlb pool is disabled (swiotlbBytes = 0)');
  const opts: SwiotlbOptions = { force: options.force ?? env.params.swiotlbForce, kmallocBounce: options.kmallocBounce ?? env.params.kmallocBounce, cleanFromDevice: options.cleanFromDevice ?? env.params.swiotlbCleanFromDevice ?? true };
  const coherent = (dev: DeviceLike): boolean => dev.coherency !== 'none';

  /** dma_kmalloc_needs_bounce: sized like a small kmalloc object whose slot is not cache-line aligned. */
  const kmallocNeedsBounce = (dev: DeviceLike, size: number, dir: DmaDirection): boolean => {
    if (!opts.kmallocBounce || coherent(dev) || dir === DmaDirection.TO_DEVICE) return false;
    if (size >= 2 * env.params.archDmaMinAlign) return false;
    const rounded = env.memory.kmalloc.classSize(size) || size;
    return rounded % env.platform.lineSize !== 0;
  };

  const ops: SwiotlbOps = {
    name: 'swiotlb_dma_ops',
    pool,
    options: opts,
    alloc: (dev, size, attrs) => armAlloc(env, dev, size, attrs, coherent(dev)),
    free: (dev, buf) => armFree(env, dev, buf),
    mmap: (dev, buf, attrs) => armMmap(env, dev, buf, attrs),
    getSgtable: (dev, buf) => armGetSgtable(env, dev, buf),

    mapPage(dev, phys, size, dir, attrs) {
      const dma = physToDma(dev, phys);
      const bounce = opts.force || !dmaCapable(dev, dma, size) || kmallocNeedsBounce(dev, size, dir);
      if (!bounce) {
        if (!coherent(dev) && (attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForDevice(env, phys, size, dir, opts.cleanFromDevice);
        return dma;
      }
      if ((attrs & DmaAttr.REQUIRE_COHERENT) !== 0) return DMA_MAPPING_ERROR;
      const tlb = pool.map(phys, size, dev.minAlignMask ?? 0, 0);
      if (tlb < 0) {
        if ((attrs & DmaAttr.NO_WARN) === 0 && (env.gfp & __GFP_NOWARN) === 0) {
          env.dmesg(dev, swiotlbFullMessage(size, pool.nslabs, pool.usedSlotCount));
        }
        return DMA_MAPPING_ERROR;
      }
      env.bounced = true;
      env.observer?.onBounceStart(tlb, phys, size);
      // Copy in even for FROM_DEVICE: a partial device write must not expose stale slot contents.
      bounceCopy(env, tlb, 'normal-wb', phys, 'normal-wb', size);
      const tlbDma = physToDma(dev, tlb);
      if (!dmaCapable(dev, tlbDma, size)) {
        env.dmesg(dev, `swiotlb addr ${hexPad(tlbDma)}+${size} overflow (mask ${dev.dmaMask.toString(16)}, bus limit 0).`);
        pool.unmap(tlb);
        env.observer?.onBounceEnd(tlb);
        return DMA_MAPPING_ERROR;
      }
      if (!coherent(dev) && (attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForDevice(env, tlb, size, dir, opts.cleanFromDevice);
      return tlbDma;
    },

    unmapPage(dev, dmaAddr, size, dir, attrs) {
      const phys = dmaToPhys(dev, dmaAddr);
      if (!coherent(dev) && (attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForCpu(env, phys, size, dir);
      if (!pool.isBounce(phys)) return;
      const m = pool.find(phys);
      if (m === undefined) return;
      const off = phys - m.tlbAddr;
      let n = size;
      if (off + size > m.mappingSize) {
        env.dmesg(dev, `Buffer overflow detected. Allocation size: ${m.mappingSize}. Mapping size: ${size}.`);
        n = Math.max(0, m.mappingSize - off);
      }
      if ((attrs & DmaAttr.SKIP_CPU_SYNC) === 0 && (dir === DmaDirection.FROM_DEVICE || dir === DmaDirection.BIDIRECTIONAL)) {
        bounceCopy(env, m.origAddr + off, 'normal-wb', phys, 'normal-wb', n);
      }
      pool.unmap(phys);
      env.observer?.onBounceEnd(m.tlbAddr);
    },

    syncSingleForCpu(dev, dmaAddr, size, dir) {
      const phys = dmaToPhys(dev, dmaAddr);
      if (!coherent(dev)) syncForCpu(env, phys, size, dir);
      const m = pool.find(phys);
      if (m === undefined) return;
      if (dir === DmaDirection.FROM_DEVICE || dir === DmaDirection.BIDIRECTIONAL) {
        const off = phys - m.tlbAddr;
        bounceCopy(env, m.origAddr + off, 'normal-wb', phys, 'normal-wb', Math.max(0, Math.min(size, m.mappingSize - off)));
      }
    },

    syncSingleForDevice(dev, dmaAddr, size, dir) {
      const phys = dmaToPhys(dev, dmaAddr);
      const m = pool.find(phys);
      if (m !== undefined && (dir === DmaDirection.TO_DEVICE || dir === DmaDirection.BIDIRECTIONAL)) {
        const off = phys - m.tlbAddr;
        bounceCopy(env, phys, 'normal-wb', m.origAddr + off, 'normal-wb', Math.max(0, Math.min(size, m.mappingSize - off)));
      }
      if (!coherent(dev)) syncForDevice(env, phys, size, dir, opts.cleanFromDevice);
    },
  };
  return ops;
}
