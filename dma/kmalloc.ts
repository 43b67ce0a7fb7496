// A kmalloc-like slab allocator: small objects packed into slab pages by size class, so two objects can
// share a cache line exactly when they would in the kernel. The minimum alignment is a parameter
// (ARCH_KMALLOC_MINALIGN): on 32-bit ARM it is the L1 line size (64 with CONFIG_ARM_L1_CACHE_SHIFT=6),
// on arm64 since v6.5 it is 8 and unaligned small buffers are bounced by swiotlb instead.
import { AllocatorError, orderAlignPages } from './page-alloc.ts';
import type { PageRangeAllocator } from './page-alloc.ts';

/** SLUB's kmalloc caches (KMALLOC_MAX_CACHE_SIZE = 2 pages); 96 and 192 exist only when aligned enough. */
const KMALLOC_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

interface SizeClass {
  readonly size: number;
  readonly slabBytes: number;
  /** LIFO free list of object addresses, as SLUB's per-slab freelist hands out the last freed first. */
  readonly free: number[];
}

export interface KmallocObject {
  readonly addr: number;
  /** Requested size. */
  readonly size: number;
  /** The object's slot size (ksize). */
  readonly slot: number;
  readonly large: boolean;
}

export class Kmalloc {
  readonly minAlign: number;
  private readonly classes: SizeClass[];
  private readonly pages: PageRangeAllocator;
  private readonly live = new Map<number, KmallocObject>();
  private slabBytesTotal = 0;

  constructor(pages: PageRangeAllocator, minAlign: number) {
    if (!Number.isInteger(minAlign) || minAlign < 8 || (minAlign & (minAlign - 1)) !== 0) {
      throw new AllocatorError(`Kmalloc: minAlign must be a power of two >= 8, got ${minAlign}`);
    }
    this.pages = pages;
    this.minAlign = minAlign;
    this.classes = KMALLOC_SIZES.filter((s) => s >= minAlign && s % minAlign === 0).map((size) => ({
      size,
      slabBytes: Math.max(pages.pageSize, Math.ceil(size / pages.pageSize) * pages.pageSize),
      free: [],
    }));
  }

  /** Bytes of slab pages taken from the page allocator. */
  get slabBytes(): number {
    return this.slabBytesTotal;
  }
  get liveObjects(): number {
    return this.live.size;
  }

  /** The size class an allocation of `size` bytes lands in (kmalloc_size_roundup), or 0 for a large one. */
  classSize(size: number): number {
    for (const c of this.classes) if (c.size >= size) return c.size;
    return 0;
  }

  /** Allocates `size` bytes; returns the address (the linear map: VA == PA), or -1 when memory is exhausted. */
  kmalloc(size: number): number {
    if (!Number.isSafeInteger(size) || size <= 0) throw new AllocatorError(`kmalloc: size must be a positive integer, got ${size}`);
    const cls = this.classes.find((c) => c.size >= size);
    if (cls === undefined) {
      // kmalloc_large: straight from the page allocator, naturally aligned to its order.
      const addr = this.pages.alloc(size, orderAlignPages(size, this.pages.pageSize));
      if (addr < 0) return -1;
      this.live.set(addr, { addr, size, slot: this.pages.sizeOf(addr), large: true });
      return addr;
    }
    if (cls.free.length === 0 && !this.grow(cls)) return -1;
    const addr = cls.free.pop()!;
    this.live.set(addr, { addr, size, slot: cls.size, large: false });
    return addr;
  }

  /** Frees an object; throws for an address that is not a live kmalloc object (a double or bad free). */
  kfree(addr: number): void {
    const obj = this.live.get(addr);
    if (obj === undefined) throw new AllocatorError(`kfree: 0x${addr.toString(16)} is not a live kmalloc object`);
    this.live.delete(addr);
    if (obj.large) {
      this.pages.free(addr);
      return;
    }
    const cls = this.classes.find((c) => c.size === obj.slot)!;
    cls.free.push(addr);
  }

  /** The live object containing `addr`, if any. */
  lookup(addr: number): KmallocObject | undefined {
    return this.live.get(addr);
  }

  /** Whether `addr` is the start of a live object (cheap check for the swiotlb kmalloc rule). */
  isObject(addr: number): boolean {
    return this.live.has(addr);
  }

  private grow(cls: SizeClass): boolean {
    const slab = this.pages.alloc(cls.slabBytes, orderAlignPages(cls.slabBytes, this.pages.pageSize));
    if (slab < 0) return false;
    this.slabBytesTotal += cls.slabBytes;
    const n = Math.floor(cls.slabBytes / cls.size);
    // Push highest first so the lowest address is handed out first.
    for (let k = n - 1; k >= 0; k--) cls.free.push(slab + k * cls.size);
    return true;
  }
}
