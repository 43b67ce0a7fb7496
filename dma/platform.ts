// What the DMA layer needs from the SoC, as narrow interfaces: the ops are written against these, and
// soc-platform.ts adapts the real MemorySystem to them (a thin adapter, so the SoC can evolve freely).
import type { CoherencyMode, DmaDirection } from './types.ts';

export type MemType = 'normal-wb' | 'normal-nc' | 'write-combine' | 'device';

/** Cache maintenance as arch/arm/mm does it; every method returns the CPU cycles it cost. */
export interface CacheMaintenance {
  /** The L1 D-cache line size in bytes (dma-debug's cacheline unit, the kmalloc alignment default). */
  readonly lineSize: number;
  /** v7_dma_map_area: FROM_DEVICE invalidates the range in L1, otherwise cleans it (by MVA; VA == PA). */
  dmaMapArea(core: number, pa: number, len: number, dir: DmaDirection): number;
  /** v7_dma_unmap_area: anything but TO_DEVICE invalidates the range in L1 again. */
  dmaUnmapArea(core: number, pa: number, len: number, dir: DmaDirection): number;
  /** dmac_flush_range: clean+invalidate in L1. Optional: absent, a clean then an invalidate is used. */
  l1FlushRange?(core: number, pa: number, len: number): number;
  /** PL310 range operations by PA, charged to `core` (the one issuing the register writes). */
  outerInvRange(pa: number, len: number, core: number): number;
  outerCleanRange(pa: number, len: number, core: number): number;
  outerFlushRange(pa: number, len: number, core: number): number;
}

/** Functional data paths. CPU accesses go through the caches (for cacheable types) and cost cycles. */
export interface CpuMemory {
  cpuRead(core: number, pa: number, dst: Uint8Array, dstOff: number, len: number, type?: MemType): number;
  cpuWrite(core: number, pa: number, src: Uint8Array, srcOff: number, len: number, type?: MemType): number;
  /** A CPU memcpy from one physical range to another (optional: absent, staged through a scratch buffer). */
  cpuCopy?(core: number, dstPa: number, srcPa: number, len: number, dstType: MemType, srcType: MemType): number;
  deviceRead(mode: CoherencyMode, pa: number, dst: Uint8Array, dstOff: number, len: number): void;
  deviceWrite(mode: CoherencyMode, pa: number, src: Uint8Array, srcOff: number, len: number): void;
}

/**
 * The page-attribute map (soc/cache MemoryAttributeMap fits it): which CPU mappings of a physical range exist,
 * with which memory type, and which pages were taken out of the cacheable linear map.
 */
export interface AliasRegistry {
  addMapping(pa: number, len: number, type: MemType, owner?: string): number;
  removeMapping(id: number): void;
  setLinearMapped(pa: number, len: number, mapped: boolean): void;
}

export interface DramRange {
  readonly base: number;
  readonly size: number;
}

/** Everything the DMA layer touches of the SoC. */
export interface DmaPlatform extends CacheMaintenance, CpuMemory {
  readonly dram: DramRange;
  readonly cores: number;
  /** Adds `cycles` of busy time to a CPU core (the call ran on it). */
  chargeCpu(core: number, cycles: number): void;
  readonly aliases?: AliasRegistry;
}

/** A counter sink compatible with emulator/kernel's Stats. */
export interface CounterLike {
  add(n: number): void;
}
export interface StatsLike {
  counter(name: string): CounterLike;
}
