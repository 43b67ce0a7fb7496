// IOVA space allocators for the IOMMU strategy: Linux's iova.c (top-down, with per-CPU magazine caches)
// and the 32-bit ARM bitmap allocator of the 2012 arch/arm/mm/dma-mapping.c. Both hand out IOVAs in
// granules (pages) and are driven by iommu-dma.ts through the IovaSpace interface.

export class IovaError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'IovaError';
  }
}

/** What iommu-dma needs of an IOVA allocator. Addresses and sizes in bytes; -1 means "no space". */
export interface IovaSpace {
  readonly name: 'iova-tree' | 'arm-bitmap';
  readonly granule: number;
  /** Allocates an IOVA range for `size` bytes whose last byte is at most `dmaLimit`, on behalf of CPU `cpu`. */
  allocIova(size: number, dmaLimit: number, cpu: number): number;
  /** Frees a range allocIova returned, with the same size. */
  freeIova(iova: number, size: number, cpu: number): void;
  /** Bytes of IOVA space currently allocated (including ranges parked in caches). */
  allocatedBytes(): number;
}

function roundUpPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

function log2Exact(n: number): number {
  return Math.round(Math.log2(n));
}

export interface IovaDomainOptions {
  granule?: number;
  /** Lowest allocatable pfn (iommu-dma uses max(1, aperture start >> shift): IOVA 0 is never handed out). */
  startPfn?: number;
  /** CPUs with their own magazine pair. */
  cpus?: number;
  /** Entries per magazine (128; 127 in newer kernels). */
  magazineSize?: number;
  /** Magazines the global depot holds per size class (32). */
  depotSize?: number;
  /** Size classes cached: 1, 2, 4, … 2^(classes-1) pages (6 classes: 1–32 pages). */
  cacheClasses?: number;
}

interface CpuCache {
  loaded: number[];
  prev: number[];
}

/**
 * Linux drivers/iommu/iova.c, described not ported. Allocated ranges are kept as a sorted array of
 * [lo, hi] pfn pairs (the rbtree's in-order view; the search result is the same): allocation takes the
 * highest size-aligned gap that ends at or below the limit (top-down), so IOVAs grow downward from the
 * top of the device's reach. Freed ranges of 1–32 pages go first to per-CPU magazine caches (a loaded and
 * a previous magazine, then a depot of full magazines) and stay allocated in the tree while cached, so a
 * recently freed IOVA of the same size class is handed out again without a tree search. When the tree is
 * full the caches are flushed back into it and the search is retried once, as alloc_iova_fast does.
 */
export class IovaDomain implements IovaSpace {
  readonly name = 'iova-tree' as const;
  readonly granule: number;
  readonly startPfn: number;
  readonly magazineSize: number;
  readonly depotSize: number;
  readonly cacheClasses: number;
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  private readonly cpuCaches: CpuCache[][];
  private readonly depots: number[][][];
  private allocated = 0;
  cacheHits = 0;
  cacheMisses = 0;
  treeAllocs = 0;

  constructor(opts: IovaDomainOptions = {}) {
    this.granule = opts.granule ?? 4096;
    if (this.granule <= 0 || (this.granule & (this.granule - 1)) !== 0) throw new IovaError(`IovaDomain: granule must be a power of two, got ${this.granule}`);
    this.startPfn = opts.startPfn ?? 1;
    this.magazineSize = opts.magazineSize ?? 128;
    this.depotSize = opts.depotSize ?? 32;
    this.cacheClasses = opts.cacheClasses ?? 6;
    const cpus = opts.cpus ?? 4;
    if (!Number.isInteger(cpus) || cpus <= 0) throw new IovaError(`IovaDomain: cpus must be a positive integer, got ${cpus}`);
    this.cpuCaches = [];
    this.depots = [];
    for (let c = 0; c < this.cacheClasses; c++) {
      const row: CpuCache[] = [];
      for (let i = 0; i < cpus; i++) row.push({ loaded: [], prev: [] });
      this.cpuCaches.push(row);
      this.depots.push([]);
    }
  }

  /** Number of ranges in the tree (allocated or parked in a cache). */
  get treeSize(): number {
    return this.lo.length;
  }

  allocatedBytes(): number {
    return this.allocated * this.granule;
  }

  /** Pages iommu_dma_alloc_iova asks for: sizes below 32 pages are rounded up to a power of two. */
  pagesFor(size: number): number {
    const pages = Math.ceil(size / this.granule);
    return pages < 2 ** (this.cacheClasses - 1) ? roundUpPow2(pages) : pages;
  }

  allocIova(size: number, dmaLimit: number, cpu: number): number {
    const pfn = this.allocPages(this.pagesFor(size), Math.floor(dmaLimit / this.granule), cpu);
    return pfn < 0 ? -1 : pfn * this.granule;
  }

  freeIova(iova: number, size: number, cpu: number): void {
    this.freePages(iova / this.granule, this.pagesFor(size), cpu);
  }

  /** alloc_iova_fast: cache first, then a size-aligned top-down tree search below limitPfn (inclusive). */
  allocPages(pages: number, limitPfn: number, cpu: number): number {
    const cls = this.classOf(pages);
    if (cls >= 0) {
      const pfn = this.cacheGet(cls, limitPfn, this.cpuIndex(cpu));
      if (pfn >= 0) {
        this.cacheHits++;
        return pfn;
      }
      this.cacheMisses++;
    }
    let pfn = this.treeAlloc(pages, limitPfn, true);
    if (pfn < 0) {
      this.flushCaches();
      pfn = this.treeAlloc(pages, limitPfn, true);
    }
    return pfn;
  }

  /** free_iova_fast: into the CPU's magazine when the size is cached, else straight back to the tree. */
  freePages(pfn: number, pages: number, cpu: number): void {
    const i = this.find(pfn);
    if (i < 0 || this.hi[i]! - this.lo[i]! + 1 !== pages) {
      throw new IovaError(`IovaDomain.free: no allocated range of ${pages} pages at pfn 0x${pfn.toString(16)}`);
    }
    const cls = this.classOf(pages);
    if (cls >= 0) this.cacheInsert(cls, pfn, this.cpuIndex(cpu));
    else this.treeFree(i);
  }

  /** Whether pfn starts a range held in a magazine (allocated in the tree but free for reuse). */
  isCached(pfn: number): boolean {
    for (let c = 0; c < this.cacheClasses; c++) {
      for (const cc of this.cpuCaches[c]!) if (cc.loaded.includes(pfn) || cc.prev.includes(pfn)) return true;
      for (const m of this.depots[c]!) if (m.includes(pfn)) return true;
    }
    return false;
  }

  /** free_cpu_cached_iovas + free_global_cached_iovas: every cached range goes back to the tree. */
  flushCaches(): void {
    for (let c = 0; c < this.cacheClasses; c++) {
      for (const cc of this.cpuCaches[c]!) {
        this.releaseMagazine(cc.loaded);
        this.releaseMagazine(cc.prev);
      }
      for (const m of this.depots[c]!) this.releaseMagazine(m);
      this.depots[c]!.length = 0;
    }
  }

  private cpuIndex(cpu: number): number {
    const n = this.cpuCaches[0]?.length ?? 1;
    return ((cpu % n) + n) % n;
  }

  private classOf(pages: number): number {
    if ((pages & (pages - 1)) !== 0) return -1;
    const c = log2Exact(pages);
    return c < this.cacheClasses ? c : -1;
  }

  private cacheGet(cls: number, limitPfn: number, cpu: number): number {
    const cc = this.cpuCaches[cls]![cpu]!;
    if (cc.loaded.length === 0) {
      if (cc.prev.length > 0) {
        const t = cc.loaded;
        cc.loaded = cc.prev;
        cc.prev = t;
      } else {
        const depot = this.depots[cls]!;
        if (depot.length === 0) return -1;
        cc.loaded = depot.pop()!;
      }
    }
    return popBelow(cc.loaded, limitPfn);
  }

  private cacheInsert(cls: number, pfn: number, cpu: number): void {
    const cc = this.cpuCaches[cls]![cpu]!;
    if (cc.loaded.length >= this.magazineSize) {
      if (cc.prev.length < this.magazineSize) {
        const t = cc.loaded;
        cc.loaded = cc.prev;
        cc.prev = t;
      } else {
        const depot = this.depots[cls]!;
        if (depot.length < this.depotSize) depot.push(cc.loaded);
        else this.releaseMagazine(cc.loaded);
        cc.loaded = [];
      }
    }
    cc.loaded.push(pfn);
  }

  private releaseMagazine(mag: number[]): void {
    for (const pfn of mag) this.treeFree(this.find(pfn));
    mag.length = 0;
  }

  /** Index of the range starting at pfn, or -1. */
  private find(pfn: number): number {
    let a = 0;
    let b = this.lo.length - 1;
    while (a <= b) {
      const m = (a + b) >> 1;
      const v = this.lo[m]!;
      if (v === pfn) return m;
      if (v < pfn) a = m + 1;
      else b = m - 1;
    }
    return -1;
  }

  /** The highest aligned gap of `pages` ending at or below limitPfn; inserts it and returns its first pfn. */
  private treeAlloc(pages: number, limitPfn: number, sizeAligned: boolean): number {
    const align = sizeAligned ? roundUpPow2(pages) : 1;
    // i: the last range starting at or below the limit.
    let a = 0;
    let b = this.lo.length - 1;
    while (a <= b) {
      const m = (a + b) >> 1;
      if (this.lo[m]! <= limitPfn) a = m + 1;
      else b = m - 1;
    }
    let i = b;
    let end = limitPfn + 1; // exclusive end of the gap being tried
    if (i >= 0 && this.hi[i]! >= end) {
      end = this.lo[i]!;
      i--;
    }
    for (;;) {
      const gapLow = Math.max(i >= 0 ? this.hi[i]! + 1 : this.startPfn, this.startPfn);
      if (end - pages >= gapLow) {
        const pfn = Math.floor((end - pages) / align) * align;
        if (pfn >= gapLow) {
          this.lo.splice(i + 1, 0, pfn);
          this.hi.splice(i + 1, 0, pfn + pages - 1);
          this.allocated += pages;
          this.treeAllocs++;
          return pfn;
        }
      }
      if (i < 0) return -1;
      end = this.lo[i]!;
      i--;
    }
  }

  private treeFree(i: number): void {
    if (i < 0) throw new IovaError('IovaDomain: freeing a range the tree does not hold');
    this.allocated -= this.hi[i]! - this.lo[i]! + 1;
    this.lo.splice(i, 1);
    this.hi.splice(i, 1);
  }
}

/** iova_magazine_pop: the most recent entry at or below the limit, swapped out with the last one. */
function popBelow(mag: number[], limitPfn: number): number {
  for (let i = mag.length - 1; i >= 0; i--) {
    const pfn = mag[i]!;
    if (pfn <= limitPfn) {
      mag[i] = mag[mag.length - 1]!;
      mag.pop();
      return pfn;
    }
  }
  return -1;
}

export interface BitmapIovaOptions {
  /** First IOVA of the mapping (arm_iommu_create_mapping's base). */
  base: number;
  /** Bytes of IOVA space. */
  size: number;
  granule?: number;
  /** CONFIG_ARM_DMA_IOMMU_ALIGNMENT: allocations are aligned to their order, capped at this order (8). */
  maxAlignOrder?: number;
}

/**
 * The arch/arm IOMMU mapping's allocator of the 3.5 era: one bit per page over [base, base + size),
 * first fit from the bottom, each allocation aligned to 2^min(order, maxAlignOrder) pages. Freed ranges
 * are reusable at once (the ARM code invalidated the IOTLB synchronously on unmap).
 */
export class BitmapIovaAllocator implements IovaSpace {
  readonly name = 'arm-bitmap' as const;
  readonly granule: number;
  readonly base: number;
  readonly pages: number;
  readonly maxAlignOrder: number;
  private readonly bits: Uint8Array;
  private used = 0;

  constructor(opts: BitmapIovaOptions) {
    this.granule = opts.granule ?? 4096;
    if (opts.base % this.granule !== 0 || opts.size <= 0 || opts.size % this.granule !== 0) {
      throw new IovaError(`BitmapIovaAllocator: base and size must be positive multiples of ${this.granule}, got base ${opts.base} size ${opts.size}`);
    }
    this.base = opts.base;
    this.pages = opts.size / this.granule;
    this.maxAlignOrder = opts.maxAlignOrder ?? 8;
    this.bits = new Uint8Array(this.pages);
  }

  allocatedBytes(): number {
    return this.used * this.granule;
  }

  allocIova(size: number, dmaLimit: number, _cpu: number): number {
    const count = Math.ceil(size / this.granule);
    const order = Math.min(Math.ceil(Math.log2(Math.max(count, 1))), this.maxAlignOrder);
    const align = 2 ** order;
    const maxPages = Math.min(this.pages, Math.floor((dmaLimit - this.base + 1) / this.granule));
    let start = 0;
    while (start + count <= maxPages) {
      // bitmap_find_next_zero_area: find a zero bit, align it, check the run.
      const z = this.bits.indexOf(0, start);
      if (z < 0) return -1;
      const s = Math.ceil(z / align) * align;
      if (s + count > maxPages) return -1;
      const busy = this.bits.subarray(s, s + count).indexOf(1);
      if (busy < 0) {
        this.bits.fill(1, s, s + count);
        this.used += count;
        return this.base + s * this.granule;
      }
      start = s + busy + 1;
    }
    return -1;
  }

  freeIova(iova: number, size: number, _cpu: number): void {
    const s = (iova - this.base) / this.granule;
    const count = Math.ceil(size / this.granule);
    if (!Number.isInteger(s) || s < 0 || s + count > this.pages || this.bits.subarray(s, s + count).indexOf(0) >= 0) {
      throw new IovaError(`BitmapIovaAllocator.free: 0x${iova.toString(16)}+${size} is not an allocated range`);
    }
    this.bits.fill(0, s, s + count);
    this.used -= count;
  }
}
