/** The page-table formats dmasim models. */
export type PageTableFormat = 'sysmmu' | 'lpae';

/** Permission bits of a mapping (Linux IOMMU_READ / IOMMU_WRITE). */
export const IOMMU_READ = 1;
export const IOMMU_WRITE = 2;

/**
 * The table walker's view of memory: reads one descriptor (4 or 8 bytes) at a physical address and returns
 * its low 32 bits; for 8-byte descriptors the high 32 bits are left in `hi`. The Iommu implements it with
 * real memory reads (DRAM or the coherency mode's path) and charges each read on the bus.
 */
export interface WalkPort {
  readDesc(pa: number, bytes: 4 | 8): number;
  hi: number;
}

/** What a hardware walk found; one object reused per walker. */
export class WalkResult {
  valid = false;
  /** IOVA and physical address of the start of the leaf (page, large page, section or block). */
  leafIova = 0;
  leafPa = 0;
  leafSize = 0;
  prot = 0;
  /** Descriptor reads the walk made (the levels it touched). */
  reads = 0;
  /** Why it failed: 'translation' (no valid entry), 'access-flag' (LPAE AF clear), 'external-abort' (a descriptor read hit no memory). */
  reason: 'translation' | 'access-flag' | 'external-abort' | '' = '';
}

/** Called for each leaf the driver removes, so the IOTLB can be invalidated for it. */
export type LeafSink = (iova: number, size: number) => void;

/**
 * A page table in simulated physical memory, written by the CPU (the driver) and walked by the IOMMU.
 * Sizes must be multiples of the smallest page; map splits a range into the largest leaves its alignment
 * allows (like iommu_map's page-size selection).
 */
export interface IoPageTable {
  readonly format: PageTableFormat;
  /** Physical address of the top-level table (what the driver programs into PT_BASE / TTBR). */
  readonly root: number;
  /** Supported leaf sizes, largest first. */
  readonly pageSizes: readonly number[];
  /** Input address space: IOVAs must be below 2^iasBits. */
  readonly iasBits: number;
  /** Descriptor size in bytes (4 for SYSMMU, 8 for LPAE). */
  readonly descBytes: 4 | 8;
  map(iova: number, pa: number, size: number, prot: number): void;
  /** Clears leaves covering [iova, iova + size); returns the bytes unmapped (stops at the first hole). */
  unmap(iova: number, size: number, onLeaf?: LeafSink): number;
  /** The driver's own lookup through the CPU (iommu_iova_to_phys); -1 when unmapped. */
  iovaToPhys(iova: number): number;
  /** A hardware walk through `port`; fills `out`. */
  walk(iova: number, port: WalkPort, out: WalkResult): void;
  /** Listeners told of every unmapped range (the IOMMUs this table is attached to). */
  addUnmapListener(fn: (iova: number, size: number) => void): void;
  removeUnmapListener(fn: (iova: number, size: number) => void): void;
}

/** Largest page size in `sizes` (descending) that fits the alignment of iova and pa and the remaining length. */
export function pickPageSize(sizes: readonly number[], iova: number, pa: number, remaining: number): number {
  for (const s of sizes) {
    if (s <= remaining && iova % s === 0 && pa % s === 0) return s;
  }
  return 0;
}
