// The per-byte version planes that shadow the data of every store in the memory system while an observer
// (the coherency checker) is attached: one Uint32Array per cache slab and write-combine buffer, a lazily
// paged plane for DRAM, and the versions of the read in progress. Moved with the same TypedArray.set and
// fill calls as the data they shadow, so a stale line carries the stale write's version.
//
// Most cache lines carry ONE version (a line a device or a memset wrote): such a line is held as a mark,
// `uniform[line] = v`, and its 32..256 per-byte elements are not maintained at all. A refill from a
// uniform DRAM range, a line moving between caches and a read of such a line then touch one number, not
// the (large, host-cache-cold) plane. The invariant, kept by the helpers below: whoever reads or partly
// writes a line's per-byte plane calls `materialise(line)` first; a whole-line write sets the mark (one
// version) or clears it (per-byte source).
import { PagedArray, VERSION_PAGE_ELEMENTS, VERSION_PAGE_RUNS } from '../memory/paged-array.ts';
import type { DataObserver, UniformReadObserver } from './data-observer.ts';

/** The mark of a line whose per-byte plane holds its versions. */
export const NOT_UNIFORM = -1;

// States of the read in progress besides "one version so far" (a version, >= 0).
/** `read` holds the versions (the default; the read is not kept as one version). */
const READ_PER_BYTE = -1;
/** A read kept as one version has not returned any bytes yet. */
const READ_EMPTY = -2;

/** Runs up to this many versions are moved element by element (no subarray allocation, no set call). */
const SHORT_RUN = 256;

export class VersionPlanes {
  readonly l1: Uint32Array[];
  /** The array holding every L1 and L2 plane (l1[c] starts at l1Base[c], l2 at l2Base). */
  readonly cachePlanes: Uint32Array;
  readonly l1Base: number[];
  readonly l2Base: number;
  readonly l2: Uint32Array;
  /** The L2 plane as 32-bit words (same buffer), for line refills. */
  readonly l2Words: Int32Array;
  /**
   * Per line of cachePlanes (index = plane offset / lineBytes): the version every byte of the line holds
   * while its per-byte plane is not maintained, else NOT_UNIFORM.
   */
  readonly uniform: Float64Array;
  /** Line index (in `uniform`) of slot 0 of each L1, and of the L2. */
  readonly l1Line0: number[];
  readonly l2Line0: number;
  /** False: every line is kept per byte (the reference behaviour the marks must reproduce, for tests). */
  readonly uniformLines: boolean;
  readonly lineBytes: number;
  readonly wc: Uint32Array[];
  /** Versions returned by the read in progress, indexed from the read's first byte. */
  read: Uint32Array;
  /** The observer, when it accepts reads of one version as a number (see UniformReadObserver). */
  readonly uniformObserver: UniformReadObserver | null;
  // While a read begun by beginRead has returned one version for all its bytes so far: that
  // version, with `read` not written, for [0, readKept); else READ_EMPTY or READ_PER_BYTE.
  private readConst = READ_PER_BYTE;
  private readKept = 0;
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
    uniformLines = true,
  ) {
    // Every cache plane is a view of one array, so a line moves between caches with one copyWithin
    // (a memmove: no allocation, several times faster than an element loop at 64 elements).
    const l1Len = l1Slots * lineBytes;
    this.lineBytes = lineBytes;
    this.uniformLines = uniformLines;
    this.cachePlanes = new Uint32Array(cores * l1Len + l2Slots * lineBytes);
    this.l1Base = Array.from({ length: cores }, (_, c) => c * l1Len);
    this.l1 = this.l1Base.map((b) => this.cachePlanes.subarray(b, b + l1Len));
    this.l2Base = cores * l1Len;
    this.l2 = this.cachePlanes.subarray(this.l2Base);
    this.l2Words = new Int32Array(this.l2.buffer, this.l2.byteOffset, this.l2.length);
    this.uniform = new Float64Array(cores * l1Slots + l2Slots).fill(NOT_UNIFORM);
    this.l1Line0 = this.l1Base.map((b) => b / lineBytes);
    this.l2Line0 = this.l2Base / lineBytes;
    this.wc = Array.from({ length: cores }, () => new Uint32Array(lineBytes));
    this.read = new Uint32Array(4096);
    this.below = new Uint32Array(lineBytes);
    this.dram = new PagedArray((n) => new Uint32Array(n), dramBase, dramSize, 'versions', VERSION_PAGE_ELEMENTS, VERSION_PAGE_RUNS);
    this.dramBase = dramBase;
    this.dramEnd = dramBase + dramSize;
    const o = observer as Partial<UniformReadObserver>;
    this.uniformObserver =
      typeof o.cpuReadUniform === 'function' && typeof o.deviceReadUniform === 'function' && typeof o.cpuCopiedUniform === 'function' && typeof o.writeBackUniform === 'function'
        ? (observer as UniformReadObserver)
        : null;
  }

  // ------------------------------------------------------ reads kept as one version

  /**
   * Starts a read of `len` bytes. With `oneVersionOk` (and an observer that accepts it) the read may be
   * kept as one version: its pieces, returned in address order through readRange/readLine/dramToRead,
   * write `read` only once a piece carries another version. endRead says which way it went.
   */
  beginRead(len: number, oneVersionOk: boolean): void {
    this.ensureRead(len);
    this.readConst = oneVersionOk && this.uniformObserver !== null ? READ_EMPTY : READ_PER_BYTE;
    this.readKept = 0;
  }

  /** Ends a read begun by beginRead: the version of every byte if it kept one, else -1 (`read` holds them). */
  endRead(): number {
    const v = this.readConst;
    this.readConst = READ_PER_BYTE;
    return v >= 0 ? v : -1;
  }

  /** Whether the piece [dstOff, +n) of one version v extends the read kept as one version (else `read` is written out). */
  private keepsUniform(v: number, dstOff: number, n: number): boolean {
    const c = this.readConst;
    if (c === READ_PER_BYTE) return false;
    if ((c === v || c === READ_EMPTY) && dstOff === this.readKept) {
      this.readConst = v;
      this.readKept = dstOff + n;
      return true;
    }
    this.writeOutRead();
    return false;
  }

  /** Leaves one-version mode: `read` gets the version of the bytes kept so far. */
  private writeOutRead(): void {
    if (this.readConst >= 0) this.read.fill(this.readConst, 0, this.readKept);
    this.readConst = READ_PER_BYTE;
  }

  // ------------------------------------------------------------ uniform marks

  /** Makes the per-byte plane of `line` hold its versions (the one place a mark is expanded). */
  materialise(line: number): void {
    const v = this.uniform[line]!;
    if (v < 0) return;
    const p = this.cachePlanes;
    for (let k = line * this.lineBytes, end = k + this.lineBytes; k < end; k++) p[k] = v;
    this.uniform[line] = NOT_UNIFORM;
  }

  /** Materialises every line overlapping cachePlanes[planeOff, planeOff + n). */
  materialiseRange(planeOff: number, n: number): void {
    const lb = this.lineBytes;
    for (let line = Math.floor(planeOff / lb), last = Math.floor((planeOff + n - 1) / lb); line <= last; line++) this.materialise(line);
  }

  /** Every byte of `line` now has version v (a whole-line write of one version). */
  setLine(line: number, v: number): void {
    if (this.uniformLines) this.uniform[line] = v;
    else this.cachePlanes.fill(v, line * this.lineBytes, (line + 1) * this.lineBytes);
  }

  /** Copies a whole line's versions from one cache line to another (refill, SCU transfer, write-back). */
  copyLine(dstLine: number, srcLine: number): void {
    const v = this.uniform[srcLine]!;
    this.uniform[dstLine] = v;
    if (v >= 0) return;
    const lb = this.lineBytes;
    const from = srcLine * lb;
    this.cachePlanes.copyWithin(dstLine * lb, from, from + lb);
  }

  /** cachePlanes[planeOff, +n) = v (a CPU store, a memset, an ACP write); whole lines just get the mark. */
  writeConst(planeOff: number, n: number, v: number): void {
    const lb = this.lineBytes;
    const p = this.cachePlanes;
    const end = planeOff + n;
    for (let pos = planeOff; pos < end; ) {
      const line = Math.floor(pos / lb);
      const lineEnd = (line + 1) * lb;
      const stop = lineEnd < end ? lineEnd : end;
      if (stop - pos === lb) this.setLine(line, v);
      else {
        this.materialise(line);
        p.fill(v, pos, stop);
      }
      pos = stop;
    }
  }

  /** cachePlanes[planeOff, +n) = src[srcOff, +n) (a CPU memcpy's destination). */
  writeArray(planeOff: number, src: Uint32Array, srcOff: number, n: number): void {
    const lb = this.lineBytes;
    const end = planeOff + n;
    // Partly written lines keep their other bytes' versions; wholly written ones only lose the mark.
    for (let line = Math.floor(planeOff / lb), last = Math.floor((end - 1) / lb); line <= last; line++) {
      if (line * lb < planeOff || (line + 1) * lb > end) this.materialise(line);
      else this.uniform[line] = NOT_UNIFORM;
    }
    copyVersions(this.cachePlanes, planeOff, src, srcOff, n);
  }

  /** read[dstOff, +n) = the versions of cachePlanes[planeOff, +n) (a read of cached bytes; may span lines). */
  readRange(planeOff: number, n: number, dstOff: number): void {
    const lb = this.lineBytes;
    const u = this.uniform;
    if (this.readConst !== READ_PER_BYTE) {
      // A read kept as one version continues if every line of the range carries the same mark.
      const first = Math.floor(planeOff / lb);
      const last = Math.floor((planeOff + n - 1) / lb);
      const v = u[first]!;
      let line = first + 1;
      while (line <= last && u[line] === v) line++;
      if (v >= 0 && line > last && this.keepsUniform(v, dstOff, n)) return;
      this.writeOutRead();
    }
    const r = this.read;
    const end = planeOff + n;
    // Consecutive per-byte lines are copied as one run.
    let runFrom = planeOff;
    let pos = planeOff;
    while (pos < end) {
      const line = Math.floor(pos / lb);
      const lineEnd = (line + 1) * lb;
      const stop = lineEnd < end ? lineEnd : end;
      const v = u[line]!;
      if (v >= 0) {
        if (pos > runFrom) copyVersions(r, dstOff + (runFrom - planeOff), this.cachePlanes, runFrom, pos - runFrom);
        for (let k = dstOff + (pos - planeOff), e = k + (stop - pos); k < e; k++) r[k] = v;
        runFrom = stop;
      }
      pos = stop;
    }
    if (end > runFrom) copyVersions(r, dstOff + (runFrom - planeOff), this.cachePlanes, runFrom, end - runFrom);
  }

  /** read[dstOff, +lineBytes) = the versions of a whole line (a refilled line read by the CPU). */
  readLine(line: number, dstOff: number): void {
    const v = this.uniform[line]!;
    const lb = this.lineBytes;
    if (this.readConst !== READ_PER_BYTE) {
      if (v >= 0 && this.keepsUniform(v, dstOff, lb)) return;
      this.writeOutRead();
    }
    const r = this.read;
    if (v >= 0) {
      for (let k = dstOff, e = dstOff + lb; k < e; k++) r[k] = v;
    } else {
      const p = this.cachePlanes;
      for (let k = 0, s = line * lb; k < lb; k++) r[dstOff + k] = p[s + k]!;
    }
  }

  /** DRAM's versions at [pa, +n) = the versions of cachePlanes[planeOff, +n) (a write-back to DRAM). */
  planeToDram(pa: number, planeOff: number, n: number): void {
    const lb = this.lineBytes;
    const line = Math.floor(planeOff / lb);
    const v = this.uniform[line]!;
    // Bytes of one marked line: a fill, which keeps a uniform DRAM version page uniform.
    if (v >= 0 && planeOff + n <= (line + 1) * lb) this.dramFill(pa, n, v);
    else {
      this.materialiseRange(planeOff, n);
      this.dramWrite(pa, this.cachePlanes, planeOff, n);
    }
  }

  // ---------------------------------------------------------------- reads, DRAM

  /** Makes `read` hold at least `len` versions. */
  ensureRead(len: number): void {
    if (this.read.length < len) this.read = new Uint32Array(Math.max(len, this.read.length * 2));
  }

  private inDram(pa: number, len: number): boolean {
    return pa >= this.dramBase && pa + len <= this.dramEnd;
  }

  /** read[off, +len) = DRAM's versions of [pa, pa+len), or extends a read kept as one version. */
  dramToRead(pa: number, off: number, len: number): void {
    if (this.readConst !== READ_PER_BYTE) {
      const v = this.inDram(pa, len) ? this.dram.uniformValue(pa, len) : 0;
      if (v >= 0 && this.keepsUniform(v, off, len)) return;
      this.writeOutRead();
    }
    this.dramRead(pa, this.read, off, len);
  }

  /** The version every byte of DRAM's [pa, pa+len) carries, or -1 (several, or outside DRAM). */
  dramUniformValue(pa: number, len: number): number {
    return this.inDram(pa, len) ? this.dram.uniformValue(pa, len) : -1;
  }

  /** DRAM's versions of [pa, pa+len) into dst (0 outside DRAM: MMIO carries no versions). */
  dramRead(pa: number, dst: Uint32Array, off: number, len: number): void {
    if (this.inDram(pa, len)) this.dram.read(pa, dst, off, len);
    else dst.fill(0, off, off + len);
  }

  /**
   * A line refill of L2 slot `slot` from DRAM at `pa`: a line lying in uniform version pages only gets the
   * mark; otherwise word moves into the plane, no fill call on uniform pages.
   */
  dramLineToL2(pa: number, slot: number): void {
    const lb = this.lineBytes;
    const line = this.l2Line0 + slot;
    if (!this.inDram(pa, lb)) {
      this.setLine(line, 0);
      return;
    }
    if (this.uniformLines) {
      const v = this.dram.uniformValue(pa, lb);
      if (v >= 0) {
        this.uniform[line] = v;
        return;
      }
    }
    this.uniform[line] = NOT_UNIFORM;
    const off = slot * lb;
    if (!this.dram.readWords(pa, this.l2Words, off, lb)) this.dram.read(pa, this.l2, off, lb);
  }

  dramWrite(pa: number, src: Uint32Array, off: number, len: number): void {
    if (this.inDram(pa, len)) this.dram.write(pa, src, off, len);
  }

  dramFill(pa: number, len: number, version: number): void {
    if (this.inDram(pa, len)) this.dram.fill(pa, len, version);
  }
}

/**
 * dst[dOff, +n) = src[sOff, +n) for version planes: a short run (a line or a few) moves element by
 * element, cheaper than a subarray (an allocation) plus a TypedArray.set call.
 */
function copyVersions(dst: Uint32Array, dOff: number, src: Uint32Array, sOff: number, n: number): void {
  if (n <= SHORT_RUN) {
    for (let k = 0; k < n; k++) dst[dOff + k] = src[sOff + k]!;
  } else {
    dst.set(src.subarray(sOff, sOff + n), dOff);
  }
}
