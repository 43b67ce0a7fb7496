// The two ARM streaming-DMA maintenance sequences (arch/arm/mm/dma-mapping.c __dma_page_cpu_to_dev and
// __dma_page_dev_to_cpu), shared by every ops table that maintains caches, and the CPU copy and zeroing
// helpers. Each adds its cycles and bytes to the current call's cost.
import { DmaDirection } from './types.ts';
import type { DmaEnv } from './env.ts';
import type { MemType } from './platform.ts';

/**
 * To the device: L1 first (map area: invalidate for FROM_DEVICE, clean otherwise), then the outer cache.
 * `cleanFromDevice` models arm64 since v5.19 ("Don't invalidate FROM_DEVICE buffers at start of DMA
 * transfer"): FROM_DEVICE is cleaned too, so bytes the CPU just wrote (a swiotlb copy-in) reach DRAM.
 */
export function syncForDevice(env: DmaEnv, pa: number, size: number, dir: DmaDirection, cleanFromDevice = false): void {
  const p = env.platform;
  const c = env.cost;
  const d = cleanFromDevice && dir === DmaDirection.FROM_DEVICE ? DmaDirection.TO_DEVICE : dir;
  c.cycles += p.dmaMapArea(env.core, pa, size, d);
  if (d === DmaDirection.FROM_DEVICE) {
    c.cycles += p.outerInvRange(pa, size, env.core);
    c.bytesInvalidated += size;
  } else {
    c.cycles += p.outerCleanRange(pa, size, env.core);
    c.bytesCleaned += size;
  }
}

/** Back to the CPU: for anything but TO_DEVICE the outer cache first, then L1 (so L1 cannot refill stale L2 data). */
export function syncForCpu(env: DmaEnv, pa: number, size: number, dir: DmaDirection): void {
  // A pre-2.6.34 ARM kernel (params.unmapInvalidate false) did nothing here.
  if (env.params.unmapInvalidate === false) return;
  const p = env.platform;
  const c = env.cost;
  if (dir !== DmaDirection.TO_DEVICE) {
    c.cycles += p.outerInvRange(pa, size, env.core);
    c.bytesInvalidated += size;
  }
  c.cycles += p.dmaUnmapArea(env.core, pa, size, dir);
}

/** dmac_flush_range + outer_flush_range: what a new coherent buffer gets after zeroing. */
export function flushBothLevels(env: DmaEnv, pa: number, size: number): void {
  const p = env.platform;
  const c = env.cost;
  if (p.l1FlushRange !== undefined) {
    c.cycles += p.l1FlushRange(env.core, pa, size);
  } else {
    c.cycles += p.dmaMapArea(env.core, pa, size, DmaDirection.TO_DEVICE);
    c.cycles += p.dmaUnmapArea(env.core, pa, size, DmaDirection.FROM_DEVICE);
  }
  c.cycles += p.outerFlushRange(pa, size, env.core);
  c.bytesFlushed += size;
}

/** L1 clean+invalidate only (__cpuc_flush_dcache_area), as dmabounce does after copying back. */
export function flushL1(env: DmaEnv, pa: number, size: number): void {
  const p = env.platform;
  if (p.l1FlushRange !== undefined) env.cost.cycles += p.l1FlushRange(env.core, pa, size);
  else {
    env.cost.cycles += p.dmaMapArea(env.core, pa, size, DmaDirection.TO_DEVICE);
    env.cost.cycles += p.dmaUnmapArea(env.core, pa, size, DmaDirection.FROM_DEVICE);
  }
}

/**
 * The bounce copy: a CPU memcpy between two physical ranges through the memory system (the kernel's memcpy
 * goes through the caches). Staged through the env's scratch buffer in chunks unless the platform copies
 * itself; every chunk is a TypedArray.set on subarrays inside the memory system.
 */
export function bounceCopy(env: DmaEnv, dstPa: number, dstType: MemType, srcPa: number, srcType: MemType, len: number): void {
  if (len <= 0) return;
  const obs = env.observer;
  // The kernel's own copy: the checker lets versions travel with it instead of checking it as an access.
  if (obs !== undefined && obs !== null) obs.asInternal(() => copyBytes(env, dstPa, dstType, srcPa, srcType, len));
  else copyBytes(env, dstPa, dstType, srcPa, srcType, len);
}

function copyBytes(env: DmaEnv, dstPa: number, dstType: MemType, srcPa: number, srcType: MemType, len: number): void {
  const p = env.platform;
  const c = env.cost;
  c.bytesBounced += len;
  if (p.cpuCopy !== undefined) {
    c.cycles += p.cpuCopy(env.core, dstPa, srcPa, len, dstType, srcType);
    return;
  }
  const buf = env.scratch;
  for (let done = 0; done < len; ) {
    const n = Math.min(buf.length, len - done);
    c.cycles += p.cpuRead(env.core, srcPa + done, buf, 0, n, srcType);
    c.cycles += p.cpuWrite(env.core, dstPa + done, buf, 0, n, dstType);
    done += n;
  }
}

const ZEROES = new Uint8Array(64 * 1024);

/** memset(ptr, 0, size) by the CPU through a mapping of type `type`. */
export function cpuZero(env: DmaEnv, pa: number, len: number, type: MemType): void {
  const p = env.platform;
  for (let done = 0; done < len; ) {
    const n = Math.min(ZEROES.length, len - done);
    env.cost.cycles += p.cpuWrite(env.core, pa + done, ZEROES, 0, n, type);
    done += n;
  }
}
