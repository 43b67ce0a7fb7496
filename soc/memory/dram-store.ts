import { hexAddr } from './memory-target.ts';
import type { MemoryTarget } from './memory-target.ts';

/** 64 KiB pages: large enough that bulk copies touch few pages, small enough that sparse use stays cheap. */
export const DRAM_PAGE_BYTES = 64 * 1024;

/** An access outside a memory target's own address range (a wiring bug: the address map should have caught it). */
export class MemoryRangeError extends RangeError {
  constructor(where: string, addr: number, len: number, base: number, size: number) {
    super(
      `${where}: access of ${len} bytes at ${hexAddr(addr)} is outside ${hexAddr(base)}..${hexAddr(base + size)}`,
    );
    this.name = 'MemoryRangeError';
  }
}

/**
 * DRAM contents, allocated lazily in 64 KiB pages. Untouched pages read as zeros and cost nothing, so a
 * 1 GiB (or many GiB) DRAM holding a few buffers uses memory only for those buffers. Addresses are
 * absolute physical addresses in [base, base + size).
 */
export class Dram implements MemoryTarget {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  // Indexed by page number relative to base; holes are untouched pages.
  private readonly pages: (Uint8Array | undefined)[] = [];
  private resident = 0;

  constructor(base: number, size: number, name = 'dram') {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`Dram ${name}: base must be a non-negative integer, got ${base}`);
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`Dram ${name}: size must be a positive integer, got ${size}`);
    if (base + size > Number.MAX_SAFE_INTEGER) throw new RangeError(`Dram ${name}: base + size exceeds 2^53`);
    this.name = name;
    this.base = base;
    this.size = size;
  }

  /** Bytes of host memory held by allocated pages. */
  residentBytes(): number {
    return this.resident;
  }

  /** Number of allocated pages. */
  residentPages(): number {
    return this.resident / DRAM_PAGE_BYTES;
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    let off = this.check('read', addr, len);
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / DRAM_PAGE_BYTES);
      const inPage = off - pageNo * DRAM_PAGE_BYTES;
      const n = Math.min(DRAM_PAGE_BYTES - inPage, end - off);
      const page = this.pages[pageNo];
      if (page === undefined) dst.fill(0, dstOff, dstOff + n);
      else dst.set(page.subarray(inPage, inPage + n), dstOff);
      dstOff += n;
      off += n;
    }
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    let off = this.check('write', addr, len);
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / DRAM_PAGE_BYTES);
      const inPage = off - pageNo * DRAM_PAGE_BYTES;
      const n = Math.min(DRAM_PAGE_BYTES - inPage, end - off);
      this.page(pageNo).set(src.subarray(srcOff, srcOff + n), inPage);
      srcOff += n;
      off += n;
    }
  }

  fill(addr: number, len: number, byte: number): void {
    let off = this.check('fill', addr, len);
    const end = off + len;
    const value = byte & 0xff;
    while (off < end) {
      const pageNo = Math.floor(off / DRAM_PAGE_BYTES);
      const inPage = off - pageNo * DRAM_PAGE_BYTES;
      const n = Math.min(DRAM_PAGE_BYTES - inPage, end - off);
      const page = this.pages[pageNo];
      if (page !== undefined) page.fill(value, inPage, inPage + n);
      else if (value !== 0) this.page(pageNo).fill(value, inPage, inPage + n);
      // Filling an untouched page with zeros changes nothing: it already reads as zeros.
      off += n;
    }
  }

  private page(pageNo: number): Uint8Array {
    let page = this.pages[pageNo];
    if (page === undefined) {
      page = new Uint8Array(DRAM_PAGE_BYTES);
      this.pages[pageNo] = page;
      this.resident += DRAM_PAGE_BYTES;
    }
    return page;
  }

  /** Validates the access and returns its offset from base. */
  private check(where: string, addr: number, len: number): number {
    const off = addr - this.base;
    if (!(off >= 0) || !(len >= 0) || off + len > this.size || !Number.isInteger(addr) || !Number.isInteger(len)) {
      throw new MemoryRangeError(`Dram ${this.name}.${where}`, addr, len, this.base, this.size);
    }
    return off;
  }
}
