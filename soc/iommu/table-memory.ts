import type { MemoryTarget } from '../memory/index.ts';
import { IommuConfigError, IommuMapError, hex } from './errors.ts';

/**
 * How the kernel side of an IOMMU driver touches its page tables: as the CPU, through the caches.
 * Every call adds the CPU cycles it cost to `cycles` (the caller reads and resets it around one driver
 * call). `syncForWalker` is what the driver does so a non-coherent table walker sees its writes
 * (exynos-iommu's pgtable_flush, io-pgtable-arm's dma_sync_single_for_device on the PTEs): clean the
 * range to the point of coherency. An implementation may be told to forget it (a bug-catalog knob).
 */
export interface PageTableCpu {
  read32(pa: number): number;
  write32(pa: number, value: number): void;
  /** Zeroes a freshly allocated table through the CPU (get_zeroed_page / kmem_cache_zalloc). */
  zero(pa: number, len: number): void;
  syncForWalker(pa: number, len: number): void;
  /** CPU cycles accumulated by the calls above since the last reset. */
  cycles: number;
  /** How many syncForWalker calls were made (and how many bytes), for tests and stats. */
  syncs: number;
  syncedBytes: number;
}

const word = new Uint8Array(4);

/**
 * A PageTableCpu that writes straight into a MemoryTarget (DRAM) at no cost: the coherent case, and the
 * stand-in for tests that need no caches. syncForWalker only counts.
 */
export class DirectTableCpu implements PageTableCpu {
  cycles = 0;
  syncs = 0;
  syncedBytes = 0;
  private readonly mem: MemoryTarget;
  constructor(mem: MemoryTarget) {
    this.mem = mem;
  }
  read32(pa: number): number {
    this.mem.read(pa, word, 0, 4);
    return (word[0]! | (word[1]! << 8) | (word[2]! << 16) | (word[3]! << 24)) >>> 0;
  }
  write32(pa: number, value: number): void {
    word[0] = value & 0xff;
    word[1] = (value >>> 8) & 0xff;
    word[2] = (value >>> 16) & 0xff;
    word[3] = (value >>> 24) & 0xff;
    this.mem.write(pa, word, 0, 4);
  }
  zero(pa: number, len: number): void {
    this.mem.fill(pa, len, 0);
  }
  syncForWalker(_pa: number, len: number): void {
    this.syncs++;
    this.syncedBytes += len;
  }
}

/**
 * Physical memory for page tables: a carve-out [base, base + size) handed out in power-of-two blocks
 * aligned to their size (16 KiB SYSMMU first-level tables, 1 KiB second-level tables, 4 KiB LPAE tables).
 * Freed blocks go to a per-size free list and are reused first (LIFO, like a slab), so a freed table's old
 * contents can show up again in DRAM — which is what makes a forgotten clean visible.
 */
export class TablePool {
  readonly base: number;
  readonly size: number;
  private next: number;
  private readonly free = new Map<number, number[]>();
  private used = 0;

  constructor(base: number, size: number) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 4096 !== 0) {
      throw new IommuConfigError(`TablePool: base must be a 4 KiB-aligned address, got ${base}`);
    }
    if (!Number.isSafeInteger(size) || size <= 0) throw new IommuConfigError(`TablePool: size must be positive, got ${size}`);
    this.base = base;
    this.size = size;
    this.next = base;
  }

  /** Bytes currently allocated. */
  get usedBytes(): number {
    return this.used;
  }

  alloc(bytes: number): number {
    if (bytes <= 0 || (bytes & (bytes - 1)) !== 0) throw new IommuConfigError(`TablePool.alloc: size must be a power of two, got ${bytes}`);
    const list = this.free.get(bytes);
    let pa: number;
    if (list !== undefined && list.length > 0) pa = list.pop()!;
    else {
      pa = Math.ceil(this.next / bytes) * bytes;
      if (pa + bytes > this.base + this.size) {
        throw new IommuMapError(`TablePool: out of page-table memory (${this.size} bytes at ${hex(this.base)})`, 0);
      }
      // The alignment gap is wasted, as with a bump allocator; tables are few.
      this.next = pa + bytes;
    }
    this.used += bytes;
    return pa;
  }

  release(pa: number, bytes: number): void {
    let list = this.free.get(bytes);
    if (list === undefined) {
      list = [];
      this.free.set(bytes, list);
    }
    list.push(pa);
    this.used -= bytes;
  }
}
