// The contract of the DMA-mapping layer: devices, directions, attributes and the ops table every
// strategy implements (Linux include/linux/dma-map-ops.h, with the 2011 ARM redesign's alloc/free/mmap).
// Addresses are plain numbers (< 2^53); DMA addresses are distinct from physical ones.

/** Kernel values (include/linux/dma-direction.h). */
export const DmaDirection = {
  BIDIRECTIONAL: 0,
  TO_DEVICE: 1,
  FROM_DEVICE: 2,
  NONE: 3,
} as const;
export type DmaDirection = (typeof DmaDirection)[keyof typeof DmaDirection];
export type DmaDirectionName = keyof typeof DmaDirection;

/** Attribute bits with the kernel's values (include/linux/dma-mapping.h). */
export const DmaAttr = {
  WEAK_ORDERING: 1 << 1,
  WRITE_COMBINE: 1 << 2,
  NON_CONSISTENT: 1 << 3,
  NO_KERNEL_MAPPING: 1 << 4,
  SKIP_CPU_SYNC: 1 << 5,
  FORCE_CONTIGUOUS: 1 << 6,
  ALLOC_SINGLE_PAGES: 1 << 7,
  NO_WARN: 1 << 8,
  PRIVILEGED: 1 << 9,
  MMIO: 1 << 10,
  DEBUGGING_IGNORE_CACHELINES: 1 << 11,
  REQUIRE_COHERENT: 1 << 12,
  CC_SHARED: 1 << 13,
} as const;
export type DmaAttrName = keyof typeof DmaAttr;

/** All ones, as the kernel's DMA_MAPPING_ERROR (held as the largest exact number). */
export const DMA_MAPPING_ERROR = Number.MAX_SAFE_INTEGER;

export type CoherencyMode = 'none' | 'acp' | 'ace-lite';

/** One scatterlist entry: the CPU side (phys, length) and, once mapped, the device side. */
export interface ScatterEntry {
  phys: number;
  length: number;
  dmaAddress: number;
  dmaLength: number;
}

/** What a coherent allocation returns: the CPU view (absent with NO_KERNEL_MAPPING) and the DMA address. */
export interface CoherentBuffer {
  /** Kernel virtual address (== physical in the linear map, or a remap address), or null with NO_KERNEL_MAPPING. */
  cpuAddr: number | null;
  /** Physical address of the first byte (allocations are physically contiguous here). */
  phys: number;
  dmaHandle: number;
  size: number;
  attrs: number;
}

/** The ops table, Linux dma_map_ops style. Every call costs modelled CPU cycles, charged by the implementation. */
export interface DmaMapOps {
  readonly name: string;
  alloc(dev: DeviceLike, size: number, attrs: number): CoherentBuffer | null;
  free(dev: DeviceLike, buf: CoherentBuffer, attrs: number): void;
  mmap?(dev: DeviceLike, buf: CoherentBuffer, attrs: number): UserMapping;
  getSgtable?(dev: DeviceLike, buf: CoherentBuffer): ScatterEntry[];
  mapPage(dev: DeviceLike, phys: number, size: number, dir: DmaDirection, attrs: number): number;
  unmapPage(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection, attrs: number): void;
  /** Returns the number of DMA segments, 0 (or negative) on failure. */
  mapSg?(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection, attrs: number): number;
  unmapSg?(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection, attrs: number): void;
  mapResource?(dev: DeviceLike, phys: number, size: number, dir: DmaDirection, attrs: number): number;
  unmapResource?(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection, attrs: number): void;
  syncSingleForCpu?(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection): void;
  syncSingleForDevice?(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection): void;
  syncSgForCpu?(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection): void;
  syncSgForDevice?(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection): void;
  dmaSupported?(dev: DeviceLike, mask: number): boolean;
}

/** A user-space view of a coherent buffer, with the memory type it is mapped with. */
export interface UserMapping {
  phys: number;
  size: number;
  memType: 'normal-wb' | 'normal-nc' | 'write-combine' | 'device';
}

/** The fields of a device the ops need; dma/device.ts defines the full Device. */
export interface DeviceLike {
  readonly name: string;
  readonly driver: string;
  /** The mask value, e.g. 0xffffffff for 32 bits: an address range is reachable iff its last byte <= dmaMask. */
  dmaMask: number;
  readonly coherency: CoherencyMode;
  /** dma-ranges: DMA address minus physical address (0 or absent without an offset). Added by dma/device.ts. */
  readonly dmaRangeOffset?: number;
  /** dma_get_min_align_mask: address bits a bounce buffer must preserve (swiotlb). Added by dma/device.ts. */
  readonly minAlignMask?: number;
}
