// Lazily paged typed storage over a physical address range: DRAM's bytes, and the checker's per-byte
// version planes beside them, share this one piece of code. A page is either untouched (reads as zeros),
// UNIFORM (one number that every element holds: a whole-page fill costs no memory traffic), or a
// materialised typed array. Devices write versions in long runs of one value, so most version pages stay
// uniform and never cost a 4-byte store per byte.
import { hexAddr } from './memory-target.ts';

/** Default page: 64 Ki elements. Bulk copies touch few pages, sparse use stays cheap (DRAM data). */
export const PAGE_ELEMENTS = 64 * 1024;
/**
 * Page size for version planes: small enough that a device transfer (camera line groups are ~61 KB)
 * covers mostly whole pages, which a fill then stores as a single uniform value.
 */
export const VERSION_PAGE_ELEMENTS = 4 * 1024;
/**
 * In-page copies of at most this many elements (a cache line, a version run) use an element loop:
 * cheaper than allocating the subarray view TypedArray.set needs, and nothing is allocated per access.
 */
const SMALL_COPY = 64;
/** Arrays of pages that became uniform again are kept (up to this many) for the next materialisation. */
const MAX_SPARE_PAGES = 8;
/** Page tables grow densely up to this many pages past their end in one step. */
const DENSE_GROWTH_LIMIT = 1 << 18;

/** An access outside a store's own address range (a wiring bug: the address map should have caught it). */
export class MemoryRangeError extends RangeError {
  constructor(where: string, addr: number, len: number, base: number, size: number) {
    super(`${where}: access of ${len} bytes at ${hexAddr(addr)} is outside ${hexAddr(base)}..${hexAddr(base + size)}`);
    this.name = 'MemoryRangeError';
  }
}

type Elements = Uint8Array | Uint32Array;

/** Empty slots appended a block at a time by growDense. */
const EMPTY_BLOCK: undefined[] = Array.from({ length: 4096 }, () => undefined);

/**
 * Appends `undefined` until `arr` has `length` elements, a block per native push: the table stays a
 * packed array (fast loads), and a table grown by hundreds of thousands of pages early in a run does not
 * cost an element-by-element loop in not-yet-optimised code.
 */
export function growDense<T>(arr: (T | undefined)[], length: number): void {
  while (arr.length + EMPTY_BLOCK.length <= length) arr.push(...EMPTY_BLOCK);
  while (arr.length < length) arr.push(undefined);
}

/**
 * One element per address; `A` is Uint8Array for data, Uint32Array for versions. Pages are held as
 * `undefined` (never touched: all zeros), a number (uniform: every element holds it) or an array.
 */
export class PagedArray<A extends Elements> {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly pageElements: number;
  // Indexed by page number relative to base; grown densely (push) so V8 keeps fast elements.
  private readonly pages: (A | number | undefined)[] = [];
  // 32-bit views of the materialised pages (same index), for readWords; undefined for other pages.
  private readonly pageWords: (Int32Array | undefined)[] = [];
  // Arrays released by pages that became uniform, reused before allocating.
  private readonly spare: A[] = [];
  // Elements per 32-bit word (4 for bytes, 1 for 32-bit versions); 0 when pages are not whole words.
  private readonly elementsPerWord: number;
  // Converts a fill value to what an element of A stores (0x1ff → 0xff in a Uint8Array, -1 → 2^32-1 ...).
  private readonly scratch: A;
  private resident = 0;

  constructor(
    private readonly make: (length: number) => A,
    base: number,
    size: number,
    name: string,
    pageElements: number = PAGE_ELEMENTS,
  ) {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`${name}: base must be a non-negative integer, got ${base}`);
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`${name}: size must be a positive integer, got ${size}`);
    if (base + size > Number.MAX_SAFE_INTEGER) throw new RangeError(`${name}: base + size exceeds 2^53`);
    if (!Number.isSafeInteger(pageElements) || pageElements <= 0) throw new RangeError(`${name}: pageElements must be a positive integer, got ${pageElements}`);
    this.name = name;
    this.base = base;
    this.size = size;
    this.pageElements = pageElements;
    this.scratch = make(1);
    const bytes = this.scratch.BYTES_PER_ELEMENT;
    // Only bytes and 32-bit elements: the two kinds stored here (a uniform value is replicated per word below).
    this.elementsPerWord = (bytes === 1 || bytes === 4) && (pageElements * bytes) % 4 === 0 ? 4 / bytes : 0;
  }

  /** Pages holding a materialised array (untouched and uniform pages cost no host memory). */
  residentPages(): number {
    return this.resident;
  }

  read(addr: number, dst: A, dstOff: number, len: number): void {
    let off = this.check('read', addr, len);
    const P = this.pageElements;
    if (len <= SMALL_COPY) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      if (inPage + len <= P) {
        const page = this.pages[pageNo];
        if (page === undefined) dst.fill(0, dstOff, dstOff + len);
        else if (typeof page === 'number') dst.fill(page, dstOff, dstOff + len);
        else for (let i = 0; i < len; i++) dst[dstOff + i] = page[inPage + i]!;
        return;
      }
    }
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      const n = Math.min(P - inPage, end - off);
      const page = this.pages[pageNo];
      if (page === undefined) dst.fill(0, dstOff, dstOff + n);
      else if (typeof page === 'number') dst.fill(page, dstOff, dstOff + n);
      else dst.set(page.subarray(inPage, inPage + n) as ArrayLike<number>, dstOff);
      dstOff += n;
      off += n;
    }
  }

  /**
   * dst[dstWord, +nWords) = the 32-bit words of the elements at [addr, +nWords * elementsPerWord), when that
   * range starts on a word boundary of its page and lies in one page (a cache-line refill); returns false
   * (nothing read) otherwise, and the caller uses `read`. Word moves: a quarter of a byte loop's iterations.
   */
  readWords(addr: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
    const epw = this.elementsPerWord;
    if (epw === 0) return false;
    const off = this.check('read', addr, nWords * epw);
    const P = this.pageElements;
    const pageNo = Math.floor(off / P);
    const inPage = off - pageNo * P;
    if (inPage % epw !== 0 || inPage + nWords * epw > P) return false;
    const page = this.pages[pageNo];
    if (page === undefined || typeof page === 'number') {
      // The word that epw elements of value v make: v in every byte, or v itself (a fill call costs more
      // than a line's few stores).
      const v = page ?? 0;
      const word = epw === 4 ? Math.imul(v, 0x01010101) : v | 0;
      for (let k = 0; k < nWords; k++) dst[dstWord + k] = word;
      return true;
    }
    const words = this.pageWords[pageNo]!;
    for (let k = 0, s = inPage / epw; k < nWords; k++) dst[dstWord + k] = words[s + k]!;
    return true;
  }

  write(addr: number, src: A, srcOff: number, len: number): void {
    let off = this.check('write', addr, len);
    const P = this.pageElements;
    if (len <= SMALL_COPY) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      if (inPage + len <= P) {
        const page = this.materialise(pageNo, len === P);
        for (let i = 0; i < len; i++) page[inPage + i] = src[srcOff + i]!;
        return;
      }
    }
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      const n = Math.min(P - inPage, end - off);
      // A whole-page write overwrites every element: the page's old value need not be filled in first.
      this.materialise(pageNo, n === P).set(src.subarray(srcOff, srcOff + n) as ArrayLike<number>, inPage);
      srcOff += n;
      off += n;
    }
  }

  fill(addr: number, len: number, value: number): void {
    let off = this.check('fill', addr, len);
    this.scratch[0] = value;
    const v = this.scratch[0]!;
    const P = this.pageElements;
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      const n = Math.min(P - inPage, end - off);
      const page = this.pages[pageNo];
      if (n === P) this.setUniform(pageNo, v);
      else if (page !== undefined && typeof page !== 'number') page.fill(v, inPage, inPage + n);
      // A uniform (or untouched: zero) page already holding the value is unchanged by the fill.
      else if ((page ?? 0) !== v) this.materialise(pageNo, false).fill(v, inPage, inPage + n);
      off += n;
    }
  }

  /**
   * The value every element of [addr, addr+len) holds when the range lies in untouched or uniform pages
   * that all hold the same value, else -1 (so a caller can compare a run without reading it out).
   */
  uniformValue(addr: number, len: number): number {
    let off = this.check('uniformValue', addr, len);
    const P = this.pageElements;
    const end = off + len;
    let value = -1;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      const page = this.pages[pageNo];
      if (page !== undefined && typeof page !== 'number') return -1;
      const u = page ?? 0;
      if (value !== -1 && u !== value) return -1;
      value = u;
      off = (pageNo + 1) * P;
    }
    return value;
  }

  /**
   * Calls `fn(page, start, end, addr)` for each page-contained piece of the range. With `allocate` every
   * page is materialised and passed as an array; without it, an untouched or uniform page is passed as
   * the number all its elements hold (0 for untouched).
   */
  forEachPiece(addr: number, len: number, allocate: boolean, fn: (page: A | number, start: number, end: number, addr: number) => void): void {
    let off = this.check('scan', addr, len);
    const P = this.pageElements;
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      const n = Math.min(P - inPage, end - off);
      fn(allocate ? this.materialise(pageNo, false) : this.pages[pageNo] ?? 0, inPage, inPage + n, this.base + off);
      off += n;
    }
  }

  /** The page as an array holding its current contents (unless `overwriteAll`: the caller writes every element). */
  private materialise(pageNo: number, overwriteAll: boolean): A {
    const page = this.pages[pageNo];
    if (page !== undefined && typeof page !== 'number') return page;
    const value = page ?? 0;
    const reused = this.spare.pop();
    let arr: A;
    if (reused !== undefined) {
      arr = reused;
      if (!overwriteAll) arr.fill(value);
    } else {
      arr = this.make(this.pageElements);
      if (!overwriteAll && value !== 0) arr.fill(value);
    }
    this.store(pageNo, arr);
    this.resident++;
    return arr;
  }

  /** Makes the whole page hold `value` (already converted to A's element type). */
  private setUniform(pageNo: number, value: number): void {
    const page = this.pages[pageNo];
    if (page !== undefined && typeof page !== 'number') {
      this.resident--;
      if (this.spare.length < MAX_SPARE_PAGES) this.spare.push(page);
    } else if (page === undefined && value === 0) {
      return; // untouched already reads as zeros
    }
    this.store(pageNo, value);
  }

  private store(pageNo: number, page: A | number): void {
    if (pageNo >= this.pages.length) this.growTable(pageNo);
    this.pages[pageNo] = page;
    if (this.elementsPerWord === 0) return;
    const words = this.pageWords;
    if (typeof page === 'number') {
      if (pageNo < words.length) words[pageNo] = undefined;
      return;
    }
    // Grown (by push, densely) only as far as materialised pages reach: uniform-only stores pay nothing.
    if (pageNo >= words.length && pageNo - words.length < DENSE_GROWTH_LIMIT) growDense(words, pageNo + 1);
    words[pageNo] = new Int32Array(page.buffer, page.byteOffset, page.byteLength >>> 2);
  }

  /**
   * Grows the page table past `pageNo`, doubling so a store touched page by page upwards grows it rarely.
   * Growing by push keeps V8's fast elements; a far jump (a store of many GiB touched near its top) is
   * left to a direct store rather than pushing millions of holes.
   */
  private growTable(pageNo: number): void {
    const pages = this.pages;
    if (pageNo - pages.length >= DENSE_GROWTH_LIMIT) return;
    growDense(pages, Math.min(Math.max(pageNo + 1, pages.length * 2), Math.ceil(this.size / this.pageElements)));
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
