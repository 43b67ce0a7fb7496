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
/**
 * Page numbers below this find their page through a flat Int32Array index (4 MiB at most, zero-filled
 * by calloc so untouched parts cost no host memory); pages above it (a hostile store of many GiB) are
 * looked up in a Map, so sparse use of a huge store stays bounded.
 */
const DENSE_INDEX_PAGES = 1 << 20;
/** Initial length of the uniform-value table per slot (doubled as more pages are touched). */
const INITIAL_SLOTS = 64;

/** An access outside a store's own address range (a wiring bug: the address map should have caught it). */
export class MemoryRangeError extends RangeError {
  constructor(where: string, addr: number, len: number, base: number, size: number) {
    super(`${where}: access of ${len} bytes at ${hexAddr(addr)} is outside ${hexAddr(base)}..${hexAddr(base + size)}`);
    this.name = 'MemoryRangeError';
  }
}

type Elements = Uint8Array | Uint32Array;

/**
 * One element per address; `A` is Uint8Array for data, Uint32Array for versions. A touched page owns a
 * slot: the slot's array when materialised, else (null) the value every element holds. Slot 0 stands for
 * every untouched page: no array, value 0, so readers need no separate case for it.
 */
export class PagedArray<A extends Elements> {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly pageElements: number;
  // Page number (relative to base) → slot, 0 for untouched pages; for page numbers below its length.
  private readonly denseIndex: Int32Array;
  // Page number → slot for pages at or above denseIndex.length.
  private readonly farIndex = new Map<number, number>();
  // Per slot: the materialised array (null: uniform), its 32-bit view for readWords (null when not whole
  // words or uniform), and the uniform value (meaningful while the array is null). Slot 0: untouched.
  private readonly slotArrays: (A | null)[] = [null];
  private readonly slotWords: (Int32Array | null)[] = [null];
  private slotValues = new Uint32Array(INITIAL_SLOTS);
  private slots = 1;
  // Arrays (and their word views) released by pages that became uniform, reused before allocating.
  private readonly spare: A[] = [];
  private readonly spareWords: (Int32Array | null)[] = [];
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
    this.denseIndex = new Int32Array(Math.min(Math.ceil(size / pageElements), DENSE_INDEX_PAGES));
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
        const slot = this.slotOf(pageNo);
        const page = this.slotArrays[slot] as A | null;
        if (page === null) dst.fill(this.slotValues[slot]!, dstOff, dstOff + len);
        else for (let i = 0; i < len; i++) dst[dstOff + i] = page[inPage + i]!;
        return;
      }
    }
    const end = off + len;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      const inPage = off - pageNo * P;
      const n = Math.min(P - inPage, end - off);
      const slot = this.slotOf(pageNo);
      const page = this.slotArrays[slot] as A | null;
      if (page === null) dst.fill(this.slotValues[slot]!, dstOff, dstOff + n);
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
    const slot = this.slotOf(pageNo);
    const words = this.slotWords[slot] as Int32Array | null;
    if (words === null) {
      // The word that epw elements of value v make: v in every byte, or v itself (a fill call costs more
      // than a line's few stores).
      const v = this.slotValues[slot]!;
      const word = epw === 4 ? Math.imul(v, 0x01010101) : v | 0;
      for (let k = 0; k < nWords; k++) dst[dstWord + k] = word;
      return true;
    }
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
        const page = this.materialise(pageNo, this.slotOf(pageNo), len === P);
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
      this.materialise(pageNo, this.slotOf(pageNo), n === P).set(src.subarray(srcOff, srcOff + n) as ArrayLike<number>, inPage);
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
      const slot = this.slotOf(pageNo);
      const page = this.slotArrays[slot] as A | null;
      if (n === P) this.setUniform(pageNo, slot, v);
      else if (page !== null) page.fill(v, inPage, inPage + n);
      // A uniform (or untouched: zero) page already holding the value is unchanged by the fill.
      else if (this.slotValues[slot] !== v) this.materialise(pageNo, slot, false).fill(v, inPage, inPage + n);
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
      const slot = this.slotOf(pageNo);
      if (this.slotArrays[slot] !== null) return -1;
      const u = this.slotValues[slot]!;
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
      const slot = this.slotOf(pageNo);
      const page = allocate ? this.materialise(pageNo, slot, false) : (this.slotArrays[slot] as A | null) ?? this.slotValues[slot]!;
      fn(page, inPage, inPage + n, this.base + off);
      off += n;
    }
  }

  /** The slot of page `pageNo` (0: untouched). */
  private slotOf(pageNo: number): number {
    const index = this.denseIndex;
    return pageNo < index.length ? index[pageNo]! : this.farIndex.get(pageNo) ?? 0;
  }

  /** The page (whose slot is `slot`) as an array holding its contents (unless `overwriteAll`: the caller writes every element). */
  private materialise(pageNo: number, slot: number, overwriteAll: boolean): A {
    const page = this.slotArrays[slot] as A | null;
    if (page !== null) return page;
    const value = this.slotValues[slot]!;
    let arr = this.spare.pop();
    let words: Int32Array | null;
    if (arr !== undefined) {
      words = this.spareWords.pop()!;
      if (!overwriteAll) arr.fill(value);
    } else {
      arr = this.make(this.pageElements);
      words = this.elementsPerWord === 0 ? null : new Int32Array(arr.buffer, arr.byteOffset, arr.byteLength >>> 2);
      if (!overwriteAll && value !== 0) arr.fill(value);
    }
    const own = slot === 0 ? this.newSlot(pageNo) : slot;
    this.slotArrays[own] = arr;
    this.slotWords[own] = words;
    this.resident++;
    return arr;
  }

  /** Makes the whole page (whose slot is `slot`) hold `value` (already converted to A's element type). */
  private setUniform(pageNo: number, slot: number, value: number): void {
    if (slot === 0) {
      if (value === 0) return; // untouched already reads as zeros
      slot = this.newSlot(pageNo);
    } else {
      const page = this.slotArrays[slot] as A | null;
      if (page !== null) {
        this.resident--;
        if (this.spare.length < MAX_SPARE_PAGES) {
          this.spare.push(page);
          this.spareWords.push(this.slotWords[slot] as Int32Array | null);
        }
        this.slotArrays[slot] = null;
        this.slotWords[slot] = null;
      }
    }
    this.slotValues[slot] = value;
  }

  /** Gives an untouched page its own slot (uniform, value 0), kept for the rest of the store's life. */
  private newSlot(pageNo: number): number {
    const slot = this.slots++;
    this.slotArrays.push(null);
    this.slotWords.push(null);
    if (slot === this.slotValues.length) {
      const grown = new Uint32Array(slot * 2);
      grown.set(this.slotValues);
      this.slotValues = grown;
    }
    if (pageNo < this.denseIndex.length) this.denseIndex[pageNo] = slot;
    else this.farIndex.set(pageNo, slot);
    return slot;
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
