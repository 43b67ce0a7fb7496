// dmabounce_ops (arch/arm/common/dmabounce.c after the seed's patch 5): for devices whose DMA window cannot
// reach every buffer. It reuses the ARM alloc/mmap/sg code and owns map_page, unmap_page and the single
// syncs: a mapping whose (dma_addr | dma_addr+size-1) falls outside the mask (or that the platform flags)
// is served from a "safe" coherent buffer (small pool, large pool, or a coherent allocation), with copies
// per direction; other mappings get the ordinary ARM maintenance. Unmap and sync insist that size and
// direction match the map (the kernel BUG_ONs): dmasim reports a violation and refuses the call.
import { armAlloc, armFree, armGetSgtable, armMmap } from './coherent-alloc.ts';
import { bounceCopy, flushL1, syncForCpu, syncForDevice } from './cache-sync.ts';
import { hex16, debugDirectionName } from './attrs.ts';
import { debugHint } from './debug.ts';
import { dmaToPhys, physToDma } from './device.ts';
import { DmaPool } from './dmapool.ts';
import { GFP_ATOMIC } from './env.ts';
import { DMA_MAPPING_ERROR, DmaAttr, DmaDirection } from './types.ts';
import type { DmaPoolBlock } from './dmapool.ts';
import type { DmaEnv } from './env.ts';
import type { MemType } from './platform.ts';
import type { CoherentBuffer, DeviceLike, DmaMapOps } from './types.ts';

export interface DmabounceOptions {
  smallBufferSize?: number;
  largeBufferSize?: number;
  /** The platform's extra rule (e.g. IXP4xx PCI, SA-1111's address-bit quirk). */
  needsBounce?: (dev: DeviceLike, dmaAddr: number, size: number) => boolean;
}

interface SafeBuffer {
  readonly origPhys: number;
  readonly size: number;
  readonly dir: DmaDirection;
  readonly safePhys: number;
  readonly safeDma: number;
  readonly safeType: MemType;
  readonly block: DmaPoolBlock | null;
  readonly pool: DmaPool | null;
  readonly coherent: CoherentBuffer | null;
}

interface DmabounceDevice {
  readonly small: DmaPool;
  readonly large: DmaPool;
  readonly needsBounce: ((dev: DeviceLike, dmaAddr: number, size: number) => boolean) | undefined;
  readonly safe: SafeBuffer[];
  bounces: number;
}

export interface DmabounceOps extends DmaMapOps {
  /** dmabounce_register_dev: sets up the device's pools (done lazily with the defaults otherwise). */
  registerDev(dev: DeviceLike, opts?: DmabounceOptions): void;
  /** dmabounce_unregister_dev. */
  unregisterDev(dev: DeviceLike): void;
  /** Live safe buffers of a device. */
  liveSafeBuffers(dev: DeviceLike): number;
}

export function createDmabounceOps(env: DmaEnv): DmabounceOps {
  const devices = new Map<DeviceLike, DmabounceDevice>();

  const state = (dev: DeviceLike): DmabounceDevice => {
    let d = devices.get(dev);
    if (d === undefined) {
      ops.registerDev(dev);
      d = devices.get(dev)!;
    }
    return d;
  };

  const findSafe = (d: DmabounceDevice, dma: number): SafeBuffer | undefined => {
    for (const b of d.safe) if (dma >= b.safeDma && dma < b.safeDma + b.size) return b;
    return undefined;
  };

  /** needs_bounce: -1 too big for the window at all, 1 bounce, 0 direct. */
  const needsBounce = (dev: DeviceLike, d: DmabounceDevice, dma: number, size: number): number => {
    const mask = dev.dmaMask;
    const limit = mask + 1;
    if (Number.isSafeInteger(limit) && (limit & (limit - 1)) === 0 && size > limit) {
      env.dmesg(dev, `DMA mapping too big (requested 0x${size.toString(16)} mask 0x${mask.toString(16)})`);
      return -1;
    }
    if (dma > mask || dma + size - 1 > mask) return 1;
    return d.needsBounce !== undefined && d.needsBounce(dev, dma, size) ? 1 : 0;
  };

  const refuse = (dev: DeviceLike, kind: 'unmap-size-mismatch' | 'unmap-dir-mismatch' | 'sync-dir-mismatch', b: SafeBuffer, text: string): void => {
    env.refused = true;
    env.violation(kind, dev, b.safeDma, b.size, `dmabounce: ${dev.driver} ${dev.name}: kernel BUG: ${text}`, `${debugHint(kind)} (dmabounce BUG_ONs on this)`);
  };

  /**
   * sync_single_for_cpu / _for_device: a mapping that did not bounce gets the direct maintenance; a bounced
   * one copies between its safe buffer and the driver's buffer in the direction the sync needs
   * (FROM_DEVICE/BIDIRECTIONAL back to the CPU, TO_DEVICE/BIDIRECTIONAL out to the device).
   */
  const syncSafe = (dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection, toCpu: boolean): void => {
    const d = state(dev);
    const b = findSafe(d, dmaAddr);
    if (b === undefined) {
      (toCpu ? syncForCpu : syncForDevice)(env, dmaToPhys(dev, dmaAddr), size, dir);
      return;
    }
    if (b.dir !== dir) {
      refuse(dev, 'sync-dir-mismatch', b, `BUG_ON(buf->direction != dir) [device address=${hex16(dmaAddr)}] [mapped with ${debugDirectionName(b.dir)}] [synced with ${debugDirectionName(dir)}]`);
      return;
    }
    const off = dmaAddr - b.safeDma;
    const n = Math.min(size, b.size - off);
    d.bounces++;
    if (dir === DmaDirection.BIDIRECTIONAL || dir === (toCpu ? DmaDirection.FROM_DEVICE : DmaDirection.TO_DEVICE)) {
      if (toCpu) bounceCopy(env, b.origPhys + off, 'normal-wb', b.safePhys + off, b.safeType, n);
      else bounceCopy(env, b.safePhys + off, b.safeType, b.origPhys + off, 'normal-wb', n);
    }
  };

  const ops: DmabounceOps = {
    name: 'dmabounce_ops',
    alloc: (dev, size, attrs) => armAlloc(env, dev, size, attrs, false),
    free: (dev, buf) => armFree(env, dev, buf),
    mmap: (dev, buf, attrs) => armMmap(env, dev, buf, attrs),
    getSgtable: (dev, buf) => armGetSgtable(env, dev, buf),

    registerDev(dev, opts = {}) {
      if (devices.has(dev)) return;
      devices.set(dev, {
        small: new DmaPool(env, dev, 'small_dmabounce_pool', opts.smallBufferSize ?? env.params.dmabounceSmallBytes),
        large: new DmaPool(env, dev, 'large_dmabounce_pool', opts.largeBufferSize ?? env.params.dmabounceLargeBytes),
        needsBounce: opts.needsBounce,
        safe: [],
        bounces: 0,
      });
    },
    unregisterDev(dev) {
      const d = devices.get(dev);
      if (d === undefined) return;
      d.small.destroy();
      d.large.destroy();
      devices.delete(dev);
    },
    liveSafeBuffers: (dev) => devices.get(dev)?.safe.length ?? 0,

    mapPage(dev, phys, size, dir, attrs) {
      const d = state(dev);
      const dma = physToDma(dev, phys);
      const nb = needsBounce(dev, d, dma, size);
      if (nb < 0) return DMA_MAPPING_ERROR;
      if (nb === 0) {
        if ((attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForDevice(env, phys, size, dir);
        return dma;
      }
      // alloc_safe_buffer: small pool, large pool, else a coherent allocation, all GFP_ATOMIC (map_page may
      // run in interrupt context), so on kernels with the atomic pool they come from there.
      const gfp = env.gfp;
      env.gfp = GFP_ATOMIC;
      let b: SafeBuffer | null = null;
      const pool = size <= d.small.blockSize ? d.small : size <= d.large.blockSize ? d.large : null;
      if (pool !== null) {
        const block = pool.alloc();
        if (block !== null) b = { origPhys: phys, size, dir, safePhys: block.phys, safeDma: block.dma, safeType: block.type, block, pool, coherent: null };
      } else {
        const c = armAlloc(env, dev, size, 0, false);
        if (c !== null) {
          const type = env.memory.coherentAllocs.get(c.phys)?.type ?? 'normal-nc';
          b = { origPhys: phys, size, dir, safePhys: c.phys, safeDma: c.dmaHandle, safeType: type, block: null, pool: null, coherent: c };
        }
      }
      env.gfp = gfp;
      if (b === null) {
        env.dmesg(dev, `map_single: unable to map unsafe buffer ${hex16(phys)}!`);
        return DMA_MAPPING_ERROR;
      }
      d.safe.push(b);
      d.bounces++;
      env.bounced = true;
      env.observer?.onBounceStart(b.safePhys, phys, size);
      if (dir === DmaDirection.TO_DEVICE || dir === DmaDirection.BIDIRECTIONAL) {
        bounceCopy(env, b.safePhys, b.safeType, phys, 'normal-wb', size);
      }
      return b.safeDma;
    },

    unmapPage(dev, dmaAddr, size, dir, attrs) {
      const d = state(dev);
      const b = d.safe.find((x) => x.safeDma === dmaAddr);
      if (b === undefined) {
        if ((attrs & DmaAttr.SKIP_CPU_SYNC) === 0) syncForCpu(env, dmaToPhys(dev, dmaAddr), size, dir);
        return;
      }
      if (b.size !== size) {
        refuse(dev, 'unmap-size-mismatch', b, `BUG_ON(buf->size != size) [device address=${hex16(dmaAddr)}] [map size=${b.size} bytes] [unmap size=${size} bytes]`);
        return;
      }
      if (b.dir !== dir) {
        refuse(dev, 'unmap-dir-mismatch', b, `BUG_ON(buf->direction != dir) [device address=${hex16(dmaAddr)}] [mapped with ${debugDirectionName(b.dir)}] [unmapped with ${debugDirectionName(dir)}]`);
        return;
      }
      if (dir === DmaDirection.FROM_DEVICE || dir === DmaDirection.BIDIRECTIONAL) {
        bounceCopy(env, b.origPhys, 'normal-wb', b.safePhys, b.safeType, size);
        // The original may be a page-cache page: keep user mappings coherent (__cpuc_flush_dcache_area).
        flushL1(env, b.origPhys, size);
      }
      d.safe.splice(d.safe.indexOf(b), 1);
      env.observer?.onBounceEnd(b.safePhys);
      if (b.pool !== null && b.block !== null) b.pool.release(b.block);
      else if (b.coherent !== null) armFree(env, dev, b.coherent);
    },

    syncSingleForCpu: (dev, dmaAddr, size, dir) => syncSafe(dev, dmaAddr, size, dir, true),
    syncSingleForDevice: (dev, dmaAddr, size, dir) => syncSafe(dev, dmaAddr, size, dir, false),
  };
  return ops;
}
