// Lazily paged typed storage over a physical address range: DRAM's bytes, and the checker's per-byte
// version plane beside them, share this one piece of code. Untouched pages read as zeros and cost nothing.
import { hexAddr } from './memory-target.ts';

/** 64 Ki elements per page: bulk copies touch few pages, sparse use stays cheap. */
export const PAGE_ELEMENTS = 64 * 1024;
/**
 * In-page copies of at most this many elements (a cache line, a version run) use an element loop:
 * cheaper than allocating the subarray view TypedArray.set needs, and nothing is allocated per access.
 */
const SMALL_COPY = 64;

/** An access outside a store's own address range (a wiring bug: the address map should have caught it). */
export class MemoryRangeError extends RangeError {
  constructor(where: string, addr: number, len: number, base: number, size: number) {
    super(`${where}: access of ${len} bytes at ${hexAddr(addr)} is outside ${hexAddr(base)}..${hexAddr(base + size)}`);
    this.name = 'MemoryRangeError';
  }
}

type Elements = Uint8Array | Uint32Array;

/** One element per address; `A` is Uint8Array for data, Uint32Array for versions. */
export class PagedArray<A extends Elements> {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  // Indexed by page number relative to base; holes are untouched pages.
  private readonly pages: (A | undefined)[] = [];
  private resident = 0;

  constructor(
    private readonly make: (length: number) => A,
    base: number,
    size: number,
    name: string,
  ) {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`${name}: base must be a non-negative integer, got ${base}`);
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`${name}: size must be a positive integer, got ${size}`);
    if (base + size > Number.MAX_SAFE_INTEGER) throw new RangeError(`${name}: base + size exceeds 2^53`);
    this.name = name;
    this.base = base;
    this.size = size;
  }

  /** Allocated pages. */
  residentPages(): number {
    return this.resident;
  }

  read(addr: number, dst: A, dstOff: number, len: number): void {
    let off = this.check('read', addr, len);
    if (len <= SMALL_COPY) {
      const pageNo = Math.floor(off / PAGE_ELEMENTS);
      const inPage = off - pageNo * PAGE_ELEMENTS;
      if (inPage + len <= PAGE_ELEMENTS) {
        const page = this.pages[pageNo];
        if (page === undefined) dst.fill(0, dstOff, dstOff + len);
        else for (let i = 0; i < len; i++) dst[dstOff + i] = page[inPage + i]!;
        return;
      }
    }
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / PAGE_ELEMENTS);
      const inPage = off - pageNo * PAGE_ELEMENTS;
      const n = Math.min(PAGE_ELEMENTS - inPage, end - off);
      const page = this.pages[pageNo];
      if (page === undefined) dst.fill(0, dstOff, dstOff + n);
      else dst.set(page.subarray(inPage, inPage + n) as ArrayLike<number>, dstOff);
      dstOff += n;
      off += n;
    }
  }

  write(addr: number, src: A, srcOff: number, len: number): void {
    let off = this.check('write', addr, len);
    if (len <= SMALL_COPY) {
      const pageNo = Math.floor(off / PAGE_ELEMENTS);
      const inPage = off - pageNo * PAGE_ELEMENTS;
      if (inPage + len <= PAGE_ELEMENTS) {
        const page = this.page(pageNo);
        for (let i = 0; i < len; i++) page[inPage + i] = src[srcOff + i]!;
        return;
      }
    }
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / PAGE_ELEMENTS);
      const inPage = off - pageNo * PAGE_ELEMENTS;
      const n = Math.min(PAGE_ELEMENTS - inPage, end - off);
      this.page(pageNo).set(src.subarray(srcOff, srcOff + n) as ArrayLike<number>, inPage);
      srcOff += n;
      off += n;
    }
  }

  fill(addr: number, len: number, value: number): void {
    let off = this.check('fill', addr, len);
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / PAGE_ELEMENTS);
      const inPage = off - pageNo * PAGE_ELEMENTS;
      const n = Math.min(PAGE_ELEMENTS - inPage, end - off);
      const page = this.pages[pageNo];
      if (page !== undefined) page.fill(value, inPage, inPage + n);
      // Filling an untouched page with zeros changes nothing: it already reads as zeros.
      else if (value !== 0) this.page(pageNo).fill(value, inPage, inPage + n);
      off += n;
    }
  }

  /** Calls `fn(page, start, end, addr)` for each page-contained piece of the range (pages allocated on demand). */
  forEachPiece(addr: number, len: number, allocate: boolean, fn: (page: A | undefined, start: number, end: number, addr: number) => void): void {
    let off = this.check('scan', addr, len);
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / PAGE_ELEMENTS);
      const inPage = off - pageNo * PAGE_ELEMENTS;
      const n = Math.min(PAGE_ELEMENTS - inPage, end - off);
      fn(allocate ? this.page(pageNo) : this.pages[pageNo], inPage, inPage + n, this.base + off);
      off += n;
    }
  }

  private page(pageNo: number): A {
    let page = this.pages[pageNo];
    if (page === undefined) {
      page = this.make(PAGE_ELEMENTS);
      this.pages[pageNo] = page;
      this.resident++;
    }
    return page;
  }

  /** Validates the access and returns its offset from base. */
  private check(where: string, addr: number, len: number): number {
    const off = addr - this.base;
    if (!(off >= 0) || !(len >= 0) || off + len > this.size || !Number.isInteger(addr) || !Number.isInteger(len)) {
      throw new MemoryRangeError(`${this.name}.${where}`, addr, len, this.base, this.size);
    }
    return off;
  }
}
