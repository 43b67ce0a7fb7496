// The per-byte version planes that shadow the data of every store in the memory system while an observer
// (the coherency checker) is attached: one Uint32Array per cache slab and write-combine buffer, a lazily
// paged plane for DRAM, and the versions of the read in progress. Moved with the same TypedArray.set and
// fill calls as the data they shadow, so a stale line carries the stale write's version.
import { PagedArray, VERSION_PAGE_ELEMENTS } from '../memory/paged-array.ts';
import type { DataObserver } from './data-observer.ts';

export class VersionPlanes {
  readonly l1: Uint32Array[];
  /** The array holding every L1 and L2 plane (l1[c] starts at l1Base[c], l2 at l2Base). */
  readonly cachePlanes: Uint32Array;
  readonly l1Base: number[];
  readonly l2Base: number;
  readonly l2: Uint32Array;
  /** The L2 plane as 32-bit words (same buffer), for line refills. */
  readonly l2Words: Int32Array;
  readonly wc: Uint32Array[];
  /** Versions returned by the read in progress, indexed from the read's first byte. */
  read: Uint32Array;
  /** Versions DRAM held under a line about to be overwritten or exposed. */
  readonly below: Uint32Array;
  private readonly dram: PagedArray<Uint32Array>;
  private readonly dramBase: number;
  private readonly dramEnd: number;

  constructor(
    readonly observer: DataObserver,
    l1Slots: number,
    l2Slots: number,
    lineBytes: number,
    cores: number,
    dramBase: number,
    dramSize: number,
  ) {
    // Every cache plane is a view of one array, so a line moves between caches with one copyWithin
    // (a memmove: no allocation, several times faster than an element loop at 64 elements).
    const l1Len = l1Slots * lineBytes;
    this.cachePlanes = new Uint32Array(cores * l1Len + l2Slots * lineBytes);
    this.l1Base = Array.from({ length: cores }, (_, c) => c * l1Len);
    this.l1 = this.l1Base.map((b) => this.cachePlanes.subarray(b, b + l1Len));
    this.l2Base = cores * l1Len;
    this.l2 = this.cachePlanes.subarray(this.l2Base);
    this.l2Words = new Int32Array(this.l2.buffer, this.l2.byteOffset, this.l2.length);
    this.wc = Array.from({ length: cores }, () => new Uint32Array(lineBytes));
    this.read = new Uint32Array(4096);
    this.below = new Uint32Array(lineBytes);
    this.dram = new PagedArray((n) => new Uint32Array(n), dramBase, dramSize, 'versions', VERSION_PAGE_ELEMENTS);
    this.dramBase = dramBase;
    this.dramEnd = dramBase + dramSize;
  }

  /** Copies n versions from one cache plane to another; offsets are within the planes of cachePlanes. */
  copyCacheLine(dstBase: number, dstOff: number, srcBase: number, srcOff: number, n: number): void {
    const from = srcBase + srcOff;
    this.cachePlanes.copyWithin(dstBase + dstOff, from, from + n);
  }

  /** Makes `read` hold at least `len` versions. */
  ensureRead(len: number): void {
    if (this.read.length < len) this.read = new Uint32Array(Math.max(len, this.read.length * 2));
  }

  private inDram(pa: number, len: number): boolean {
    return pa >= this.dramBase && pa + len <= this.dramEnd;
  }

  /** DRAM's versions of [pa, pa+len) into dst (0 outside DRAM: MMIO carries no versions). */
  dramRead(pa: number, dst: Uint32Array, off: number, len: number): void {
    if (this.inDram(pa, len)) this.dram.read(pa, dst, off, len);
    else dst.fill(0, off, off + len);
  }

  /** dramRead into the L2 plane at `off` (a line refill): word moves, no fill call on uniform pages. */
  dramReadToL2(pa: number, off: number, len: number): void {
    if (!this.inDram(pa, len) || !this.dram.readWords(pa, this.l2Words, off, len)) this.dramRead(pa, this.l2, off, len);
  }

  dramWrite(pa: number, src: Uint32Array, off: number, len: number): void {
    if (this.inDram(pa, len)) this.dram.write(pa, src, off, len);
  }

  dramFill(pa: number, len: number, version: number): void {
    if (this.inDram(pa, len)) this.dram.fill(pa, len, version);
  }
}
