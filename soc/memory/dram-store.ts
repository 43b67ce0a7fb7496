import { PagedArray, PAGE_ELEMENTS } from './paged-array.ts';
import type { MemoryTarget } from './memory-target.ts';
export { MemoryRangeError } from './paged-array.ts';

/** Bytes per lazily allocated DRAM page. */
export const DRAM_PAGE_BYTES = PAGE_ELEMENTS;

/**
 * DRAM contents, allocated lazily in 64 KiB pages. Untouched pages read as zeros and cost nothing, so a
 * 1 GiB (or many GiB) DRAM holding a few buffers uses memory only for those buffers. Addresses are
 * absolute physical addresses in [base, base + size).
 */
export class Dram implements MemoryTarget {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly store: PagedArray<Uint8Array>;

  constructor(base: number, size: number, name = 'dram') {
    this.store = new PagedArray((n) => new Uint8Array(n), base, size, `Dram ${name}`);
    this.name = name;
    this.base = base;
    this.size = size;
  }

  /** Bytes of host memory held by allocated pages. */
  residentBytes(): number {
    return this.store.residentPages() * DRAM_PAGE_BYTES;
  }

  /** Number of allocated pages. */
  residentPages(): number {
    return this.store.residentPages();
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.store.read(addr, dst, dstOff, len);
  }

  readWords(addr: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
    return this.store.readWords(addr, dst, dstWord, nWords);
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    this.store.write(addr, src, srcOff, len);
  }

  fill(addr: number, len: number, byte: number): void {
    this.store.fill(addr, len, byte & 0xff);
  }
}
