// The public DMA API (like kernel/dma/mapping.c): every call dispatches to the device's ops table, runs the
// dma-debug hook when dma-debug is on, reports device addresses beyond the mask (out-of-mask), and accounts
// its cost (fixed overhead + maintenance + copies) to the calling core, to stats and to `env.cost`, which
// holds the last call's cost until the next call. Kernel names are the API; handles are plain numbers.
import { isValidDirection } from './attrs.ts';
import { DeviceError, dmaCapable } from './device.ts';
import { GFP_KERNEL, __GFP_NOWARN } from './env.ts';
import { DMA_MAPPING_ERROR, DmaAttr, DmaDirection } from './types.ts';
import type { Device } from './device.ts';
import type { DmaEnv } from './env.ts';
import type { CoherentBuffer, ScatterEntry, UserMapping } from './types.ts';

const EIO = -5;

function enter(dev: Device): DmaEnv {
  const env = dev.env;
  if (env === null) throw new DeviceError(`DMA API: device ${dev.name} is not attached to a DmaSystem`);
  if (dev.removed) throw new DeviceError(`DMA API: device ${dev.name} was removed (its driver is unbound)`);
  const c = env.cost;
  c.cycles = env.params.callOverheadCycles;
  c.bytesCleaned = 0;
  c.bytesInvalidated = 0;
  c.bytesFlushed = 0;
  c.bytesBounced = 0;
  env.refused = false;
  env.bounced = false;
  return env;
}

function leave(env: DmaEnv, dev: Device): void {
  const c = env.cost;
  if (env.debug.enabled) c.cycles += env.params.debugOverheadCycles;
  env.platform.chargeCpu(env.core, c.cycles);
  const dc = dev.counters;
  if (dc !== null) {
    dc.cycles.add(c.cycles);
    dc.calls.add(1);
  }
  const g = env.counters;
  if (g !== null) {
    g.cycles.add(c.cycles);
    g.calls.add(1);
    if (c.bytesCleaned !== 0) g.bytesCleaned.add(c.bytesCleaned);
    if (c.bytesInvalidated !== 0) g.bytesInvalidated.add(c.bytesInvalidated);
    if (c.bytesFlushed !== 0) g.bytesFlushed.add(c.bytesFlushed);
    if (c.bytesBounced !== 0) g.bytesBounced.add(c.bytesBounced);
  }
}

/**
 * A driver that never checked dma_mapping_error passes DMA_MAPPING_ERROR back: the kernel's ops would
 * maintain or translate a bogus address (an oops at best). dma-debug reports the call; the ops are skipped.
 */
function errorHandleSkipped(env: DmaEnv, dev: Device, call: string): void {
  env.dmesg(dev, `${call}: DMA_MAPPING_ERROR passed back by the driver; the call does nothing here (the kernel would touch a bogus address)`);
}

function checkDir(dir: number, where: string): asserts dir is DmaDirection {
  if (!isValidDirection(dir)) throw new DeviceError(`${where}: expected BIDIRECTIONAL, TO_DEVICE or FROM_DEVICE, got ${dir}`);
}

function checkSize(size: number, where: string): void {
  if (!Number.isSafeInteger(size) || size <= 0) throw new DeviceError(`${where}: size must be a positive integer, got ${size}`);
}

/** The device cannot reach what the strategy handed it: a silent corruption on real hardware. */
function checkReach(env: DmaEnv, dev: Device, handle: number, size: number): void {
  if (handle === DMA_MAPPING_ERROR || dmaCapable(dev, handle, size)) return;
  env.violation(
    'out-of-mask',
    dev,
    handle,
    size,
    `${dev.driver} ${dev.name}: DMA addr 0x${handle.toString(16).padStart(16, '0')}+${size} overflow (mask ${dev.dmaMask.toString(16)}, bus limit 0).`,
    'use a strategy that keeps buffers reachable (dmabounce, swiotlb or an IOMMU), allocate below the mask (GFP_DMA / dma_alloc_coherent), or raise dma_set_mask() if the device can address more',
  );
}

// ---- streaming: single pages and buffers ----

export function dma_map_page_attrs(dev: Device, phys: number, offset: number, size: number, dir: DmaDirection, attrs = 0): number {
  checkDir(dir, 'dma_map_page');
  checkSize(size, 'dma_map_page');
  const env = enter(dev);
  const pa = phys + offset;
  const handle = dev.ops.mapPage(dev, pa, size, dir, attrs);
  checkReach(env, dev, handle, size);
  if (env.debug.enabled) env.debug.mapSingle(dev, pa, handle, size, dir, attrs, 'single', env.bounced);
  if (handle !== DMA_MAPPING_ERROR) env.observer?.onMap(dev.name, handle, pa, size, dir);
  leave(env, dev);
  if (env.recorder) env.recorder.mapPage(dev, pa, size, dir, attrs, handle);
  return handle;
}

export function dma_map_page(dev: Device, phys: number, offset: number, size: number, dir: DmaDirection): number {
  return dma_map_page_attrs(dev, phys, offset, size, dir, 0);
}

export function dma_unmap_page_attrs(dev: Device, handle: number, size: number, dir: DmaDirection, attrs = 0): void {
  checkDir(dir, 'dma_unmap_page');
  const env = enter(dev);
  if (handle !== DMA_MAPPING_ERROR) dev.ops.unmapPage(dev, handle, size, dir, attrs);
  else errorHandleSkipped(env, dev, 'dma_unmap_page');
  if (!env.refused) {
    if (env.debug.enabled) env.debug.unmap({ dev, devAddr: handle, size, dir, type: 'single' });
    env.observer?.onUnmap(dev.name, handle);
  }
  leave(env, dev);
  if (env.recorder) env.recorder.unmapPage(dev, handle, size, dir, attrs);
}

export function dma_unmap_page(dev: Device, handle: number, size: number, dir: DmaDirection): void {
  dma_unmap_page_attrs(dev, handle, size, dir, 0);
}

/** dma_map_single on top of map_page (the seed's patch 2): the page of `ptr` and the offset in it. */
export function dma_map_single_attrs(dev: Device, ptr: number, size: number, dir: DmaDirection, attrs = 0): number {
  const env = dev.env;
  if (env !== null && env.memory.vm.inArea(ptr)) {
    env.dmesg(dev, 'rejecting DMA map of vmalloc memory');
    return DMA_MAPPING_ERROR;
  }
  const ps = env?.params.pageSize ?? 4096;
  const offset = ptr % ps;
  return dma_map_page_attrs(dev, ptr - offset, offset, size, dir, attrs);
}

export function dma_map_single(dev: Device, ptr: number, size: number, dir: DmaDirection): number {
  return dma_map_single_attrs(dev, ptr, size, dir, 0);
}

export function dma_unmap_single_attrs(dev: Device, handle: number, size: number, dir: DmaDirection, attrs = 0): void {
  dma_unmap_page_attrs(dev, handle, size, dir, attrs);
}

export function dma_unmap_single(dev: Device, handle: number, size: number, dir: DmaDirection): void {
  dma_unmap_page_attrs(dev, handle, size, dir, 0);
}

/** MMIO of another device (a FIFO): no cache maintenance, translated only. */
export function dma_map_resource(dev: Device, physAddr: number, size: number, dir: DmaDirection, attrs = 0): number {
  checkDir(dir, 'dma_map_resource');
  checkSize(size, 'dma_map_resource');
  const env = enter(dev);
  const handle = dev.ops.mapResource !== undefined ? dev.ops.mapResource(dev, physAddr, size, dir, attrs) : physAddr + (dev.dmaRangeOffset ?? 0);
  checkReach(env, dev, handle, size);
  if (env.debug.enabled) env.debug.mapSingle(dev, physAddr, handle, size, dir, attrs, 'resource');
  leave(env, dev);
  if (env.recorder) env.recorder.mapResource(dev, physAddr, size, dir, attrs, handle);
  return handle;
}

export function dma_unmap_resource(dev: Device, handle: number, size: number, dir: DmaDirection, attrs = 0): void {
  checkDir(dir, 'dma_unmap_resource');
  const env = enter(dev);
  if (handle !== DMA_MAPPING_ERROR) dev.ops.unmapResource?.(dev, handle, size, dir, attrs);
  else errorHandleSkipped(env, dev, 'dma_unmap_resource');
  if (env.debug.enabled) env.debug.unmap({ dev, devAddr: handle, size, dir, type: 'resource' });
  leave(env, dev);
  if (env.recorder) env.recorder.unmapResource(dev, handle, size, dir, attrs);
}

export function dma_mapping_error(dev: Device, handle: number): boolean {
  const env = dev.env;
  if (env !== null && env.debug.enabled) env.debug.mappingError(dev, handle);
  if (env?.recorder) env.recorder.mappingError(dev, handle);
  return handle === DMA_MAPPING_ERROR;
}

// ---- scatter-gather (the seed's patch 4: generic, on top of map_page, unless the ops map lists) ----

export function dma_map_sg_attrs(dev: Device, sg: ScatterEntry[], nents: number, dir: DmaDirection, attrs = 0): number {
  checkDir(dir, 'dma_map_sg');
  if (!Number.isInteger(nents) || nents <= 0 || nents > sg.length) throw new DeviceError(`dma_map_sg: nents must be 1..${sg.length}, got ${nents}`);
  const env = enter(dev);
  let mapped: number;
  let bounced: boolean[] | undefined;
  if (dev.ops.mapSg !== undefined) {
    mapped = dev.ops.mapSg(dev, sg, dir, attrs);
    if (mapped < 0) mapped = 0;
  } else {
    mapped = nents;
    if (env.debug.enabled) bounced = [];
    for (let i = 0; i < nents; i++) {
      const s = sg[i]!;
      env.bounced = false;
      const h = dev.ops.mapPage(dev, s.phys, s.length, dir, attrs);
      if (h === DMA_MAPPING_ERROR) {
        // Unwind what was mapped and fail the whole list (arm_dma_map_sg).
        for (let j = 0; j < i; j++) dev.ops.unmapPage(dev, sg[j]!.dmaAddress, sg[j]!.dmaLength, dir, attrs);
        mapped = 0;
        break;
      }
      s.dmaAddress = h;
      s.dmaLength = s.length;
      bounced?.push(env.bounced);
    }
  }
  for (let i = 0; i < mapped; i++) checkReach(env, dev, sg[i]!.dmaAddress, sg[i]!.dmaLength);
  if (env.debug.enabled) env.debug.mapSg(dev, sg, nents, mapped, dir, attrs, bounced);
  const obs = env.observer;
  if (obs !== undefined && obs !== null) for (let i = 0; i < mapped; i++) obs.onMap(dev.name, sg[i]!.dmaAddress, sg[i]!.phys, sg[i]!.dmaLength, dir);
  leave(env, dev);
  if (env.recorder) env.recorder.mapSg(dev, sg, nents, mapped, dir, attrs);
  return mapped;
}

export function dma_map_sg(dev: Device, sg: ScatterEntry[], nents: number, dir: DmaDirection): number {
  return dma_map_sg_attrs(dev, sg, nents, dir, 0);
}

/** `nents` must be what was passed to dma_map_sg (not its return value), as in the kernel. */
export function dma_unmap_sg_attrs(dev: Device, sg: ScatterEntry[], nents: number, dir: DmaDirection, attrs = 0): void {
  checkDir(dir, 'dma_unmap_sg');
  const env = enter(dev);
  if (env.debug.enabled) env.debug.unmapSg(dev, sg, nents, dir);
  if (dev.ops.unmapSg !== undefined) dev.ops.unmapSg(dev, sg.slice(0, nents), dir, attrs);
  else for (let i = 0; i < nents && i < sg.length; i++) dev.ops.unmapPage(dev, sg[i]!.dmaAddress, sg[i]!.dmaLength, dir, attrs);
  const obs = env.observer;
  if (obs !== undefined && obs !== null) for (let i = 0; i < nents && i < sg.length; i++) obs.onUnmap(dev.name, sg[i]!.dmaAddress);
  leave(env, dev);
  if (env.recorder) env.recorder.unmapSg(dev, sg, nents, dir, attrs);
}

export function dma_unmap_sg(dev: Device, sg: ScatterEntry[], nents: number, dir: DmaDirection): void {
  dma_unmap_sg_attrs(dev, sg, nents, dir, 0);
}

// ---- syncs ----

export function dma_sync_single_for_cpu(dev: Device, handle: number, size: number, dir: DmaDirection): void {
  checkDir(dir, 'dma_sync_single_for_cpu');
  const env = enter(dev);
  if (handle !== DMA_MAPPING_ERROR) dev.ops.syncSingleForCpu?.(dev, handle, size, dir);
  else errorHandleSkipped(env, dev, 'dma_sync_single_for_cpu');
  if (!env.refused) {
    if (env.debug.enabled) env.debug.syncSingle(dev, handle, size, dir, true);
    env.observer?.onSyncForCpu(dev.name, handle);
  }
  leave(env, dev);
  if (env.recorder) env.recorder.syncSingle(dev, handle, size, dir, true);
}

export function dma_sync_single_for_device(dev: Device, handle: number, size: number, dir: DmaDirection): void {
  checkDir(dir, 'dma_sync_single_for_device');
  const env = enter(dev);
  if (handle !== DMA_MAPPING_ERROR) dev.ops.syncSingleForDevice?.(dev, handle, size, dir);
  else errorHandleSkipped(env, dev, 'dma_sync_single_for_device');
  if (!env.refused) {
    if (env.debug.enabled) env.debug.syncSingle(dev, handle, size, dir, false);
    env.observer?.onSyncForDevice(dev.name, handle);
  }
  leave(env, dev);
  if (env.recorder) env.recorder.syncSingle(dev, handle, size, dir, false);
}

export function dma_sync_single_range_for_cpu(dev: Device, handle: number, offset: number, size: number, dir: DmaDirection): void {
  dma_sync_single_for_cpu(dev, handle + offset, size, dir);
}

export function dma_sync_single_range_for_device(dev: Device, handle: number, offset: number, size: number, dir: DmaDirection): void {
  dma_sync_single_for_device(dev, handle + offset, size, dir);
}

export function dma_sync_sg_for_cpu(dev: Device, sg: ScatterEntry[], nelems: number, dir: DmaDirection): void {
  checkDir(dir, 'dma_sync_sg_for_cpu');
  const env = enter(dev);
  if (dev.ops.syncSgForCpu !== undefined) dev.ops.syncSgForCpu(dev, sg.slice(0, nelems), dir);
  else if (dev.ops.syncSingleForCpu !== undefined) for (let i = 0; i < nelems && i < sg.length; i++) dev.ops.syncSingleForCpu(dev, sg[i]!.dmaAddress, sg[i]!.dmaLength, dir);
  if (env.debug.enabled) env.debug.syncSg(dev, sg, nelems, dir, true);
  const obs = env.observer;
  if (obs !== undefined && obs !== null) for (let i = 0; i < nelems && i < sg.length; i++) obs.onSyncForCpu(dev.name, sg[i]!.dmaAddress);
  leave(env, dev);
  if (env.recorder) env.recorder.syncSg(dev, sg, nelems, dir, true);
}

export function dma_sync_sg_for_device(dev: Device, sg: ScatterEntry[], nelems: number, dir: DmaDirection): void {
  checkDir(dir, 'dma_sync_sg_for_device');
  const env = enter(dev);
  if (dev.ops.syncSgForDevice !== undefined) dev.ops.syncSgForDevice(dev, sg.slice(0, nelems), dir);
  else if (dev.ops.syncSingleForDevice !== undefined) for (let i = 0; i < nelems && i < sg.length; i++) dev.ops.syncSingleForDevice(dev, sg[i]!.dmaAddress, sg[i]!.dmaLength, dir);
  if (env.debug.enabled) env.debug.syncSg(dev, sg, nelems, dir, false);
  const obs = env.observer;
  if (obs !== undefined && obs !== null) for (let i = 0; i < nelems && i < sg.length; i++) obs.onSyncForDevice(dev.name, sg[i]!.dmaAddress);
  leave(env, dev);
  if (env.recorder) env.recorder.syncSg(dev, sg, nelems, dir, false);
}

// ---- masks ----

export function dma_supported(dev: Device, mask: number): boolean {
  return dev.ops.dmaSupported === undefined ? true : dev.ops.dmaSupported(dev, mask);
}

/** Returns 0, or -EIO when the ops cannot support the mask. */
export function dma_set_mask(dev: Device, mask: number): number {
  if (!Number.isSafeInteger(mask) || mask <= 0) throw new DeviceError(`dma_set_mask: expected a positive mask, got ${mask}`);
  if (!dma_supported(dev, mask)) return EIO;
  dev.dmaMask = mask;
  return 0;
}

export function dma_set_coherent_mask(dev: Device, mask: number): number {
  if (!Number.isSafeInteger(mask) || mask <= 0) throw new DeviceError(`dma_set_coherent_mask: expected a positive mask, got ${mask}`);
  if (!dma_supported(dev, mask)) return EIO;
  dev.coherentDmaMask = mask;
  return 0;
}

export function dma_set_mask_and_coherent(dev: Device, mask: number): number {
  const rc = dma_set_mask(dev, mask);
  return rc === 0 ? dma_set_coherent_mask(dev, mask) : rc;
}

// ---- coherent allocations (the seed's alloc/free/mmap with attributes) ----

/** Returns the buffer (cpuAddr null with NO_KERNEL_MAPPING), or null when the allocation fails. */
export function dma_alloc_attrs(dev: Device, size: number, attrs = 0, gfp = GFP_KERNEL): CoherentBuffer | null {
  checkSize(size, 'dma_alloc_attrs');
  const env = enter(dev);
  env.gfp = gfp;
  const a = (gfp & __GFP_NOWARN) !== 0 ? attrs | DmaAttr.NO_WARN : attrs;
  const buf = dev.ops.alloc(dev, size, a);
  env.gfp = GFP_KERNEL;
  if (buf !== null) {
    dev.coherentBuffers.set(buf.dmaHandle, buf);
    checkReach(env, dev, buf.dmaHandle, size);
    if (env.debug.enabled) {
      if ((attrs & DmaAttr.NON_CONSISTENT) !== 0) env.debug.allocPages(dev, buf.phys, buf.dmaHandle, size, DmaDirection.BIDIRECTIONAL);
      else env.debug.allocCoherent(dev, size, buf.dmaHandle, buf.cpuAddr ?? 0, buf.phys, attrs);
    }
  }
  leave(env, dev);
  if (env.recorder) env.recorder.alloc(dev, size, attrs, buf);
  return buf;
}

export function dma_alloc_coherent(dev: Device, size: number, gfp = GFP_KERNEL): CoherentBuffer | null {
  return dma_alloc_attrs(dev, size, 0, gfp);
}

export function dma_alloc_wc(dev: Device, size: number, gfp = GFP_KERNEL): CoherentBuffer | null {
  return dma_alloc_attrs(dev, size, DmaAttr.WRITE_COMBINE, gfp);
}

/**
 * The seed's dma_alloc_noncoherent: an allocation with NON_CONSISTENT, i.e. cacheable memory the driver
 * must sync (dma_sync_single_for_device / _for_cpu on the handle). Ops tables that do not support it
 * ignore the attribute and return coherent memory, exactly as the seed proposes.
 */
export function dma_alloc_noncoherent(dev: Device, size: number, gfp = GFP_KERNEL): CoherentBuffer | null {
  return dma_alloc_attrs(dev, size, DmaAttr.NON_CONSISTENT, gfp);
}

/** The kernel's signature: the driver passes back size, CPU address and handle; dma-debug checks them. */
export function dma_free_attrs(dev: Device, size: number, cpuAddr: number | null, handle: number, attrs = 0): void {
  const env = enter(dev);
  if (env.debug.enabled) {
    if ((attrs & DmaAttr.NON_CONSISTENT) !== 0) env.debug.unmap({ dev, devAddr: handle, size, dir: DmaDirection.BIDIRECTIONAL, type: 'single' });
    else env.debug.freeCoherent(dev, size, cpuAddr ?? 0, handle);
  }
  const buf = dev.coherentBuffers.get(handle);
  if (buf === undefined) {
    env.dmesg(dev, `dma_free_attrs: no coherent allocation at handle 0x${handle.toString(16)} (nothing freed)`);
  } else {
    dev.coherentBuffers.delete(handle);
    dev.ops.free(dev, buf, attrs);
  }
  leave(env, dev);
  if (env.recorder) env.recorder.free(dev, size, cpuAddr, handle, attrs);
}

export function dma_free_coherent(dev: Device, size: number, cpuAddr: number | null, handle: number): void {
  dma_free_attrs(dev, size, cpuAddr, handle, 0);
}

export function dma_free_wc(dev: Device, size: number, cpuAddr: number | null, handle: number): void {
  dma_free_attrs(dev, size, cpuAddr, handle, DmaAttr.WRITE_COMBINE);
}

export function dma_free_noncoherent(dev: Device, size: number, cpuAddr: number | null, handle: number): void {
  dma_free_attrs(dev, size, cpuAddr, handle, DmaAttr.NON_CONSISTENT);
}

/** A user-space view of a coherent buffer with the allocation's memory type; null (-ENXIO) if not possible. */
export function dma_mmap_attrs(dev: Device, handle: number, size: number, attrs = 0): UserMapping | null {
  const um = mmapAttrs(dev, handle, size, attrs);
  const rec = dev.env?.recorder;
  if (rec) rec.mmap(dev, handle, size, attrs, um);
  return um;
}

function mmapAttrs(dev: Device, handle: number, size: number, attrs: number): UserMapping | null {
  const buf = dev.coherentBuffers.get(handle);
  if (buf === undefined || dev.ops.mmap === undefined) return null;
  const m = dev.ops.mmap(dev, buf, attrs);
  const ps = dev.env?.params.pageSize ?? 4096;
  // A user mapping larger than the buffer is refused (-ENXIO), a smaller one covers the first pages.
  return size > m.size ? null : { ...m, size: Math.min(m.size, Math.ceil(size / ps) * ps) };
}

export function dma_mmap_coherent(dev: Device, handle: number, size: number): UserMapping | null {
  return dma_mmap_attrs(dev, handle, size, 0);
}

export function dma_mmap_wc(dev: Device, handle: number, size: number): UserMapping | null {
  return dma_mmap_attrs(dev, handle, size, DmaAttr.WRITE_COMBINE);
}

/** The pages of a coherent buffer as a (not yet mapped) scatterlist, to export it to another device. */
export function dma_get_sgtable_attrs(dev: Device, handle: number, _size: number, _attrs = 0): ScatterEntry[] | null {
  const buf = dev.coherentBuffers.get(handle);
  if (buf === undefined || dev.ops.getSgtable === undefined) return null;
  return dev.ops.getSgtable(dev, buf);
}

export function dma_get_sgtable(dev: Device, handle: number, size: number): ScatterEntry[] | null {
  return dma_get_sgtable_attrs(dev, handle, size, 0);
}
