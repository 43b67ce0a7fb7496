// arm_dma_alloc / arm_dma_free / arm_dma_mmap / arm_dma_get_sgtable (arch/arm/mm/dma-mapping.c, the seed's
// redesign): one allocator driven by attributes. Non-coherent devices get non-cacheable (or, with
// WRITE_COMBINE, write-combine) memory: from the atomic pool in atomic context, otherwise from the CMA area
// (falling back to plain pages), zeroed, flushed from both cache levels and remapped in the consistent area
// unless NO_KERNEL_MAPPING. NON_CONSISTENT (the seed's dma_alloc_noncoherent) and io-coherent devices get
// cacheable linear-map pages instead. Shared by the direct, dmabounce and swiotlb ops tables.
import { flushBothLevels, cpuZero } from './cache-sync.ts';
import { dmaToPhys, physToDma } from './device.ts';
import { GFP_ATOMIC, __GFP_NOWARN } from './env.ts';
import { orderAlignPages } from './page-alloc.ts';
import { DmaAttr } from './types.ts';
import type { DmaEnv } from './env.ts';
import type { CoherentAllocRecord, CoherentSource } from './memory.ts';
import type { MemType } from './platform.ts';
import type { CoherentBuffer, DeviceLike, ScatterEntry, UserMapping } from './types.ts';

/** CONFIG_CMA_ALIGNMENT = 8: CMA allocations are aligned to their order, at most 2^8 pages. */
const CMA_MAX_ALIGN_ORDER = 8;

function coherentMask(dev: DeviceLike): number {
  const m = (dev as { coherentDmaMask?: number }).coherentDmaMask;
  return m ?? dev.dmaMask;
}

export function armAlloc(env: DmaEnv, dev: DeviceLike, size: number, attrs: number, ioCoherent: boolean): CoherentBuffer | null {
  const mem = env.memory;
  const ps = env.params.pageSize;
  const bytes = Math.ceil(size / ps) * ps;
  const limit = dmaToPhys(dev, coherentMask(dev));
  env.cost.cycles += env.params.allocOverheadCycles;

  // Cacheable pages: io-coherent masters, and the seed's NON_CONSISTENT (the driver syncs explicitly).
  if (ioCoherent || (attrs & DmaAttr.NON_CONSISTENT) !== 0) {
    const phys = mem.pages.alloc(bytes, orderAlignPages(bytes, ps), limit);
    if (phys < 0) return allocFailed(env, dev, size);
    cpuZero(env, phys, bytes, 'normal-wb');
    return record(env, dev, size, attrs, { source: 'pages', phys, size: bytes, va: -1, type: 'normal-wb', aliasId: -1, linearRemoved: false });
  }

  const type: MemType = (attrs & DmaAttr.WRITE_COMBINE) !== 0 ? 'write-combine' : 'normal-nc';
  if ((env.gfp & GFP_ATOMIC) !== 0) {
    const phys = mem.atomicPool.alloc(bytes, orderAlignPages(bytes, ps), limit);
    if (phys < 0) {
      env.dmesg(null, `ERROR: ${mem.atomicPool.bytes / 1024} KiB atomic DMA coherent pool is too small!`);
      return allocFailed(env, dev, size);
    }
    // The pool was remapped non-cacheable at boot; allocations reuse that mapping (and its type).
    cpuZero(env, phys, bytes, 'normal-nc');
    const va = mem.atomicPoolVa + (phys - mem.atomicPool.base);
    return record(env, dev, size, attrs, { source: 'atomic-pool', phys, size: bytes, va, type: 'normal-nc', aliasId: -1, linearRemoved: false });
  }

  let source: CoherentSource = 'cma';
  let phys = mem.cma.bytes > 0 ? mem.cma.alloc(bytes, Math.min(orderAlignPages(bytes, ps), 1 << CMA_MAX_ALIGN_ORDER), limit) : -1;
  if (phys < 0) {
    source = 'pages';
    phys = mem.pages.alloc(bytes, orderAlignPages(bytes, ps), limit);
  }
  if (phys < 0) return allocFailed(env, dev, size);
  // New buffers are zeroed through the cacheable linear map and flushed out of both cache levels.
  cpuZero(env, phys, bytes, 'normal-wb');
  flushBothLevels(env, phys, bytes);
  let va = -1;
  if ((attrs & DmaAttr.NO_KERNEL_MAPPING) === 0) {
    va = mem.vm.map(phys, bytes, type, `dma:${dev.name}`);
    if (va < 0) {
      (source === 'cma' ? mem.cma : mem.pages).free(phys);
      if ((attrs & DmaAttr.NO_WARN) === 0 && (env.gfp & __GFP_NOWARN) === 0) {
        env.dmesg(null, `vmap allocation for size ${bytes} failed: use vmalloc=<size> to increase size`);
      }
      return null;
    }
  }
  // CMA pages leave the cacheable linear map (the kernel rewrites their lowmem PTEs); plain pages of the
  // pre-CMA remap path keep their cacheable linear alias.
  const aliases = env.platform.aliases;
  let aliasId = -1;
  const linearRemoved = source === 'cma';
  if (aliases !== undefined) {
    if (linearRemoved) aliases.setLinearMapped(phys, bytes, false);
    if (va >= 0) aliasId = aliases.addMapping(phys, bytes, type, `dma-coherent:${dev.name}`);
  }
  return record(env, dev, size, attrs, { source, phys, size: bytes, va, type, aliasId, linearRemoved });
}

function allocFailed(env: DmaEnv, dev: DeviceLike, size: number): null {
  if ((env.gfp & __GFP_NOWARN) === 0) env.dmesg(dev, `coherent allocation of ${size} bytes failed`);
  return null;
}

function record(env: DmaEnv, dev: DeviceLike, size: number, attrs: number, rec: CoherentAllocRecord): CoherentBuffer {
  env.memory.coherentAllocs.set(rec.phys, rec);
  const cpuAddr = rec.va >= 0 ? rec.va : (attrs & DmaAttr.NO_KERNEL_MAPPING) !== 0 && rec.type !== 'normal-wb' ? null : rec.phys;
  return { cpuAddr, phys: rec.phys, dmaHandle: physToDma(dev, rec.phys), size, attrs };
}

export function armFree(env: DmaEnv, _dev: DeviceLike, buf: CoherentBuffer): void {
  const mem = env.memory;
  const rec = mem.coherentAllocs.get(buf.phys);
  if (rec === undefined) throw new RangeError(`arm_dma_free: 0x${buf.phys.toString(16)} is not a live coherent allocation`);
  mem.coherentAllocs.delete(buf.phys);
  env.cost.cycles += env.params.allocOverheadCycles >> 1;
  const aliases = env.platform.aliases;
  if (rec.source === 'atomic-pool') {
    mem.atomicPool.free(rec.phys);
    return;
  }
  if (rec.va >= 0) mem.vm.unmap(rec.va);
  if (aliases !== undefined) {
    if (rec.aliasId >= 0) aliases.removeMapping(rec.aliasId);
    if (rec.linearRemoved) aliases.setLinearMapped(rec.phys, rec.size, true);
  }
  (rec.source === 'cma' ? mem.cma : mem.pages).free(rec.phys);
}

/** The user-space view: mapped with the allocation's memory type, as V4L2/ALSA export buffers. */
export function armMmap(env: DmaEnv, _dev: DeviceLike, buf: CoherentBuffer, attrs: number): UserMapping {
  const rec = env.memory.coherentAllocs.get(buf.phys);
  let memType: UserMapping['memType'];
  if (rec !== undefined && rec.type === 'normal-wb') memType = 'normal-wb';
  else memType = (attrs & DmaAttr.WRITE_COMBINE) !== 0 || rec?.type === 'write-combine' ? 'write-combine' : 'normal-nc';
  return { phys: buf.phys, size: rec?.size ?? Math.ceil(buf.size / env.params.pageSize) * env.params.pageSize, memType };
}

/** One entry covering the page-aligned buffer, not DMA-mapped (the caller maps it for another device). */
export function armGetSgtable(env: DmaEnv, _dev: DeviceLike, buf: CoherentBuffer): ScatterEntry[] {
  const ps = env.params.pageSize;
  return [{ phys: buf.phys, length: Math.ceil(buf.size / ps) * ps, dmaAddress: 0, dmaLength: 0 }];
}
