// Lazily paged typed storage over a physical address range: DRAM's bytes, and the checker's per-byte
// version planes beside them, share this one piece of code. A page is either untouched (reads as zeros),
// UNIFORM (one number that every element holds: a whole-page fill costs no memory traffic), held as a few
// RUNS of one value each (optional, for version planes), or a materialised typed array. Devices write
// versions in long runs of one value, so most version pages stay uniform or runs and never cost a 4-byte
// store per byte.
import { hexAddr } from './memory-target.ts';

/** Default page: 64 Ki elements. Bulk copies touch few pages, sparse use stays cheap (DRAM data). */
export const PAGE_ELEMENTS = 64 * 1024;
/**
 * Page size for version planes: small enough that a device transfer (camera line groups are ~61 KB)
 * covers mostly whole pages, which a fill then stores as a single uniform value.
 */
export const VERSION_PAGE_ELEMENTS = 4 * 1024;
/**
 * Runs a version page may be held as before it is materialised: a device write whose edge falls inside
 * a page (camera chroma lines start mid-page) leaves it as two or three runs, and lines written back one
 * at a time grow a run until the page is uniform again, without a 16 KiB array per such page.
 */
export const VERSION_PAGE_RUNS = 8;
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
 * slot: the slot's array when materialised, else (null) the value every element holds, or, with
 * `maxRuns` > 0, up to maxRuns runs of one value each (a page a few fills cut into pieces). Slot 0 stands
 * for every untouched page: no array, value 0, so readers need no separate case for it.
 */
export class PagedArray<A extends Elements> {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly pageElements: number;
  // Page number (relative to base) → slot, 0 for untouched pages; for page numbers below its length.
  private readonly denseIndex: Int32Array;
  // Per page below denseIndex.length: the value every element holds, or -1 (materialised or held as
  // runs). Readers of uniform pages (most version pages) find the value in one load, no slot lookup.
  private readonly denseValues: Float64Array;
  // Page number → slot for pages at or above denseIndex.length.
  private readonly farIndex = new Map<number, number>();
  // Per slot: the materialised array (null: uniform), its 32-bit view for readWords (null when not whole
  // words or uniform), and the uniform value (meaningful while the array is null). Slot 0: untouched.
  private readonly slotArrays: (A | null)[] = [null];
  private readonly slotWords: (Int32Array | null)[] = [null];
  private slotValues = new Uint32Array(INITIAL_SLOTS);
  // Per slot: how many runs the page is held as (0: not held as runs); the runs of slot s are at
  // [s * maxRuns, + runCount): start (element offset in the page, ascending, the first 0) and value.
  private runCounts = new Uint8Array(INITIAL_SLOTS);
  private runStarts: Int32Array;
  private runValues: Uint32Array;
  // A fill's scratch: the page's current runs, and the list it builds (which may exceed maxRuns by two
  // before the page is materialised instead).
  private readonly nextStarts: Int32Array;
  private readonly nextValues: Uint32Array;
  private readonly builtStarts: Int32Array;
  private readonly builtValues: Uint32Array;
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
    /** Most runs a page is held as before being materialised; 0: pages are uniform or arrays only. */
    readonly maxRuns = 0,
  ) {
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`${name}: base must be a non-negative integer, got ${base}`);
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`${name}: size must be a positive integer, got ${size}`);
    if (base + size > Number.MAX_SAFE_INTEGER) throw new RangeError(`${name}: base + size exceeds 2^53`);
    if (!Number.isSafeInteger(pageElements) || pageElements <= 0) throw new RangeError(`${name}: pageElements must be a positive integer, got ${pageElements}`);
    if (!Number.isInteger(maxRuns) || maxRuns < 0 || maxRuns > 64) throw new RangeError(`${name}: maxRuns must be an integer in 0..64, got ${maxRuns}`);
    this.name = name;
    this.base = base;
    this.size = size;
    this.pageElements = pageElements;
    this.denseIndex = new Int32Array(Math.min(Math.ceil(size / pageElements), DENSE_INDEX_PAGES));
    this.denseValues = new Float64Array(this.denseIndex.length);
    this.scratch = make(1);
    this.runStarts = new Int32Array(INITIAL_SLOTS * maxRuns);
    this.runValues = new Uint32Array(INITIAL_SLOTS * maxRuns);
    this.nextStarts = new Int32Array(Math.max(maxRuns, 1));
    this.nextValues = new Uint32Array(Math.max(maxRuns, 1));
    this.builtStarts = new Int32Array(maxRuns + 2);
    this.builtValues = new Uint32Array(maxRuns + 2);
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
        const u = this.pageValue(pageNo);
        if (u >= 0) {
          for (let i = 0; i < len; i++) dst[dstOff + i] = u;
          return;
        }
        const slot = this.slotOf(pageNo);
        const page = this.slotArrays[slot] as A | null;
        if (page !== null) for (let i = 0; i < len; i++) dst[dstOff + i] = page[inPage + i]!;
        else if (this.runCounts[slot] === 0) dst.fill(this.slotValues[slot]!, dstOff, dstOff + len);
        else this.readRuns(slot, inPage, dst, dstOff, len);
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
      if (page !== null) dst.set(page.subarray(inPage, inPage + n) as ArrayLike<number>, dstOff);
      else if (this.runCounts[slot] === 0) dst.fill(this.slotValues[slot]!, dstOff, dstOff + n);
      else this.readRuns(slot, inPage, dst, dstOff, n);
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
    const u = this.pageValue(pageNo);
    if (u >= 0) {
      const word = epw === 4 ? Math.imul(u, 0x01010101) : u | 0;
      for (let k = 0; k < nWords; k++) dst[dstWord + k] = word;
      return true;
    }
    const slot = this.slotOf(pageNo);
    const words = this.slotWords[slot] as Int32Array | null;
    if (words === null) {
      let v = this.slotValues[slot]!;
      if (this.runCounts[slot] !== 0) {
        // Held as runs: word stores when one run covers the range, else `read` splits it per run.
        const r = this.runAt(slot, inPage);
        if (this.runEnd(slot, r) < inPage + nWords * epw) return false;
        v = this.runValues[slot * this.maxRuns + r]!;
      }
      // The word that epw elements of value v make: v in every byte, or v itself (a fill call costs more
      // than a line's few stores).
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
      // A uniform (or untouched: zero) page already holding the value is unchanged by the fill.
      if (this.pageValue(pageNo) === v) {
        off += n;
        continue;
      }
      const slot = this.slotOf(pageNo);
      const page = this.slotArrays[slot] as A | null;
      if (n === P) this.setUniform(pageNo, slot, v);
      else if (page !== null) page.fill(v, inPage, inPage + n);
      else if (this.maxRuns > 0) this.fillRuns(pageNo, slot, inPage, inPage + n, v);
      else this.materialise(pageNo, slot, false).fill(v, inPage, inPage + n);
      off += n;
    }
  }

  /**
   * The value every element of [addr, addr+len) holds when the range lies in untouched or uniform pages
   * (or runs of pages held as runs, or a short piece of a materialised page whose elements are all equal)
   * that all hold the same value, else -1 (so a caller can compare a run without reading it out).
   */
  uniformValue(addr: number, len: number): number {
    let off = this.check('uniformValue', addr, len);
    const P = this.pageElements;
    const end = off + len;
    let value = -1;
    while (off < end) {
      const pageNo = Math.floor(off / P);
      let u = this.pageValue(pageNo);
      if (u < 0) {
        const slot = this.slotOf(pageNo);
        const inPage = off - pageNo * P;
        const stop = Math.min(P, end - pageNo * P);
        const page = this.slotArrays[slot] as A | null;
        if (page !== null) {
          // A line's worth is compared element by element (a cache line over a page cut into many runs).
          if (stop - inPage > SMALL_COPY) return -1;
          u = page[inPage]!;
          for (let k = inPage + 1; k < stop; k++) if (page[k] !== u) return -1;
        } else {
          // Held as runs: uniform only if the part of the range in this page lies in one run.
          const r = this.runAt(slot, inPage);
          if (this.runEnd(slot, r) < stop) return -1;
          u = this.runValues[slot * this.maxRuns + r]!;
        }
      }
      if (value !== -1 && u !== value) return -1;
      value = u;
      off = (pageNo + 1) * P;
    }
    return value;
  }

  /**
   * Calls `fn(page, start, end, addr)` for each page-contained piece of the range. With `allocate` every
   * page is materialised and passed as an array; without it, an untouched or uniform page is passed as
   * the number all its elements hold (0 for untouched), and a page held as runs as one piece per run.
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
      if (!allocate && this.slotArrays[slot] === null && this.runCounts[slot] !== 0) {
        // A page held as runs: one piece per run the range overlaps.
        for (let r = this.runAt(slot, inPage), at = inPage; at < inPage + n; r++) {
          const stop = Math.min(this.runEnd(slot, r), inPage + n);
          fn(this.runValues[slot * this.maxRuns + r]!, at, stop, this.base + off + (at - inPage));
          at = stop;
        }
      } else {
        const page = allocate ? this.materialise(pageNo, slot, false) : (this.slotArrays[slot] as A | null) ?? this.slotValues[slot]!;
        fn(page, inPage, inPage + n, this.base + off);
      }
      off += n;
    }
  }

  /** The value every element of page `pageNo` holds, or -1 when it is materialised or held as runs. */
  private pageValue(pageNo: number): number {
    if (pageNo < this.denseValues.length) return this.denseValues[pageNo]!;
    const slot = this.slotOf(pageNo);
    return this.slotArrays[slot] !== null || this.runCounts[slot] !== 0 ? -1 : this.slotValues[slot]!;
  }

  /** Records what pageValue answers for a dense page. */
  private setPageValue(pageNo: number, value: number): void {
    if (pageNo < this.denseValues.length) this.denseValues[pageNo] = value;
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
    const fresh = arr === undefined;
    if (arr !== undefined) {
      words = this.spareWords.pop()!;
    } else {
      arr = this.make(this.pageElements);
      words = this.elementsPerWord === 0 ? null : new Int32Array(arr.buffer, arr.byteOffset, arr.byteLength >>> 2);
    }
    if (!overwriteAll) {
      const runs = this.runCounts[slot]!;
      if (runs !== 0) {
        const k0 = slot * this.maxRuns;
        for (let r = 0; r < runs; r++) arr.fill(this.runValues[k0 + r]!, this.runStarts[k0 + r]!, this.runEnd(slot, r));
      } else if (!fresh || value !== 0) arr.fill(value); // a new array already holds zeros
    }
    this.runCounts[slot] = 0;
    this.setPageValue(pageNo, -1);
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
    this.runCounts[slot] = 0;
    this.setPageValue(pageNo, value);
  }

  /** Index (within its slot) of the run of the page in `slot` that holds element `inPage`. */
  private runAt(slot: number, inPage: number): number {
    const k0 = slot * this.maxRuns;
    let r = this.runCounts[slot]! - 1;
    while (this.runStarts[k0 + r]! > inPage) r--;
    return r;
  }

  /** End (exclusive, in the page) of run `r` of the page in `slot`. */
  private runEnd(slot: number, r: number): number {
    return r + 1 < this.runCounts[slot]! ? this.runStarts[slot * this.maxRuns + r + 1]! : this.pageElements;
  }

  /** dst[dstOff, +n) = the elements [inPage, +n) of the page in `slot`, which is held as runs. */
  private readRuns(slot: number, inPage: number, dst: A, dstOff: number, n: number): void {
    const k0 = slot * this.maxRuns;
    const end = inPage + n;
    for (let r = this.runAt(slot, inPage), at = inPage; at < end; r++) {
      const stop = Math.min(this.runEnd(slot, r), end);
      dst.fill(this.runValues[k0 + r]!, dstOff + (at - inPage), dstOff + (stop - inPage));
      at = stop;
    }
  }

  /**
   * Fills [start, end) of a page not materialised (uniform, untouched or runs) with v by editing its run
   * list: equal neighbours merge, one run left makes the page uniform, more than maxRuns materialise it.
   */
  private fillRuns(pageNo: number, slot: number, start: number, end: number, v: number): void {
    const K = this.maxRuns;
    const k0 = slot * K;
    // The current runs (a uniform or untouched page is one run) go to the front of the scratch lists,
    // the new list is built behind them.
    const held = this.runCounts[slot]!;
    const count = held === 0 ? 1 : held;
    const ns = this.nextStarts;
    const nv = this.nextValues;
    if (held === 0) {
      ns[0] = 0;
      nv[0] = this.slotValues[slot]!;
    } else {
      for (let r = 0; r < held; r++) {
        ns[r] = this.runStarts[k0 + r]!;
        nv[r] = this.runValues[k0 + r]!;
      }
    }
    const out = this.builtStarts;
    const outV = this.builtValues;
    let m = 0;
    let r = 0;
    for (; r < count && ns[r]! < start; r++) m = pushRun(out, outV, m, ns[r]!, nv[r]!);
    m = pushRun(out, outV, m, start, v);
    if (end < this.pageElements) {
      // The run holding element `end` resumes there; the runs after it follow unchanged.
      r = r > 0 ? r - 1 : 0;
      while (r + 1 < count && ns[r + 1]! <= end) r++;
      m = pushRun(out, outV, m, end, nv[r]!);
      for (r++; r < count; r++) m = pushRun(out, outV, m, ns[r]!, nv[r]!);
    }
    if (m > K) {
      this.materialise(pageNo, slot, false).fill(v, start, end);
      return;
    }
    if (m === 1) {
      this.setUniform(pageNo, slot, outV[0]!);
      return;
    }
    const own = slot === 0 ? this.newSlot(pageNo) : slot;
    const o0 = own * K;
    for (let i = 0; i < m; i++) {
      this.runStarts[o0 + i] = out[i]!;
      this.runValues[o0 + i] = outV[i]!;
    }
    this.runCounts[own] = m;
    this.setPageValue(pageNo, -1);
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
      const counts = new Uint8Array(slot * 2);
      counts.set(this.runCounts);
      this.runCounts = counts;
      const starts = new Int32Array(slot * 2 * this.maxRuns);
      starts.set(this.runStarts);
      this.runStarts = starts;
      const values = new Uint32Array(slot * 2 * this.maxRuns);
      values.set(this.runValues);
      this.runValues = values;
    }
    if (pageNo < this.denseIndex.length) this.denseIndex[pageNo] = slot;
    else this.farIndex.set(pageNo, slot);
    return slot;
  }

  /** Validates the access and returns its offset from base. */
  private check(where: string, addr: number, len: number): number {
    const off = addr - this.base;
    if (!(off >= 0) || !(len >= 0) || off + len > this.size || !Number.isInteger(addr) || !Number.isInteger(len)) this.rejectRange(where, addr, len);
    return off;
  }

  /** check's error (its message built out of check, which every access runs: V8 inlines it). */
  private rejectRange(where: string, addr: number, len: number): never {
    throw new MemoryRangeError(`${this.name}.${where}`, addr, len, this.base, this.size);
  }
}

/** Appends run (at, value) to a run list of m runs unless it continues the last one; returns the new count. */
function pushRun(starts: Int32Array, values: Uint32Array, m: number, at: number, value: number): number {
  if (m > 0 && values[m - 1] === value) return m;
  starts[m] = at;
  values[m] = value;
  return m + 1;
}
