// A page-granular range allocator over one address window: used for the page allocator (alloc_pages),
// the CMA-like contiguous area, the atomic pool and the kernel's consistent (remap) VA area. First fit
// from the lowest address with power-of-two alignment, as the kernel's bitmap allocators do: deterministic.

export class AllocatorError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'AllocatorError';
  }
}

export class PageRangeAllocator {
  readonly name: string;
  readonly base: number;
  readonly bytes: number;
  readonly pageSize: number;
  readonly pages: number;
  /** 1 where the page is in use. */
  private readonly used: Uint8Array;
  /** Allocation starts by first page, for free() checks. */
  private readonly runs = new Map<number, number>();
  private usedPages = 0;
  private peakPages = 0;
  /** No free page below this index (a search hint). */
  private firstFree = 0;

  constructor(name: string, base: number, bytes: number, pageSize = 4096) {
    if (!Number.isSafeInteger(base) || base < 0 || base % pageSize !== 0) {
      throw new AllocatorError(`${name}: base must be a page-aligned address, got ${base}`);
    }
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % pageSize !== 0) {
      throw new AllocatorError(`${name}: size must be a multiple of the page size ${pageSize}, got ${bytes}`);
    }
    this.name = name;
    this.base = base;
    this.bytes = bytes;
    this.pageSize = pageSize;
    this.pages = bytes / pageSize;
    this.used = new Uint8Array(this.pages);
  }

  get usedBytes(): number {
    return this.usedPages * this.pageSize;
  }
  get peakBytes(): number {
    return this.peakPages * this.pageSize;
  }
  get freeBytes(): number {
    return this.bytes - this.usedBytes;
  }

  /** Whether [addr, addr+len) lies inside this allocator's window. */
  contains(addr: number, len = 1): boolean {
    return addr >= this.base && addr + len <= this.base + this.bytes;
  }

  /**
   * Allocates `size` bytes (rounded up to pages) aligned to `alignPages` pages (a power of two), whose
   * last byte is <= `limit`. Returns the address, or -1 when no run fits.
   */
  alloc(size: number, alignPages = 1, limit = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isSafeInteger(size) || size <= 0) throw new AllocatorError(`${this.name}.alloc: size must be a positive integer, got ${size}`);
    const n = Math.ceil(size / this.pageSize);
    const align = Math.max(1, alignPages);
    const basePage = this.base / this.pageSize;
    let i = this.firstFree;
    // Align absolute page numbers so that alignment holds for the address, not only the index.
    const alignUp = (p: number): number => Math.ceil((basePage + p) / align) * align - basePage;
    i = alignUp(i);
    while (i + n <= this.pages) {
      const endAddr = this.base + (i + n) * this.pageSize - 1;
      if (endAddr > limit) return -1;
      let j = 0;
      while (j < n && this.used[i + j] === 0) j++;
      if (j === n) {
        this.used.fill(1, i, i + n);
        this.runs.set(i, n);
        this.usedPages += n;
        if (this.usedPages > this.peakPages) this.peakPages = this.usedPages;
        if (i === this.firstFree) this.advanceFirstFree();
        return this.base + i * this.pageSize;
      }
      i = alignUp(i + j + 1);
    }
    return -1;
  }

  /** Frees an allocation by its start address; throws for an address that is not a live allocation. */
  free(addr: number): number {
    const i = (addr - this.base) / this.pageSize;
    const n = this.runs.get(i);
    if (n === undefined) throw new AllocatorError(`${this.name}.free: 0x${addr.toString(16)} is not the start of a live allocation`);
    this.runs.delete(i);
    this.used.fill(0, i, i + n);
    this.usedPages -= n;
    if (i < this.firstFree) this.firstFree = i;
    return n * this.pageSize;
  }

  /** The size of the live allocation starting at `addr`, or 0. */
  sizeOf(addr: number): number {
    const n = this.runs.get((addr - this.base) / this.pageSize);
    return n === undefined ? 0 : n * this.pageSize;
  }

  private advanceFirstFree(): void {
    let i = this.firstFree;
    while (i < this.pages && this.used[i] !== 0) i++;
    this.firstFree = i;
  }
}

/** get_order-style alignment: the smallest power of two number of pages >= the size, capped at `maxOrder`. */
export function orderAlignPages(size: number, pageSize: number, maxOrder = 30): number {
  const pages = Math.ceil(size / pageSize);
  let order = 0;
  while (1 << order < pages && order < maxOrder) order++;
  return 1 << order;
}
