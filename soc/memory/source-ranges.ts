import type { ByteSource } from './memory-target.ts';

/**
 * Most ranges kept before all of them are written out as bytes: ranges come from device transfers (a camera
 * keeps a few hundred, one per transfer into each of its buffers), so a store cut into more pieces than
 * this is not that pattern, and its bytes are better held as bytes.
 */
const MAX_RANGES = 4096;

/** SourceRanges.locate: no range meets the bytes asked for. */
export const NONE = -1;
/** SourceRanges.locate: ranges cover some of the bytes asked for, or all of them but not in one range. */
export const PARTLY = -2;

/**
 * The parts of a store whose bytes a ByteSource produces on demand: sorted, disjoint [lo, hi) ranges, each
 * with its source and the source offset of lo. A write over a range cuts it (those bytes are the write's
 * now); a read computes the bytes of the ranges it meets. So a camera frame written and mostly never read
 * costs no host memory traffic, and every byte read is the byte written.
 */
export class SourceRanges {
  private lo: number[] = [];
  private hi: number[] = [];
  private off: number[] = [];
  private src: ByteSource[] = [];
  // The range the last lookup found: reads walk through a frame, so the next one is mostly there or next.
  private last = 0;

  constructor(
    /** Writes bytes out when there are too many ranges (the store's own write). */
    private readonly writeBytes: (addr: number, src: Uint8Array, srcOff: number, len: number) => void,
  ) {}

  get count(): number {
    return this.lo.length;
  }

  /** [addr, +len) now comes from `source`, starting at its byte `sourceOff`. */
  add(addr: number, len: number, source: ByteSource, sourceOff: number): void {
    if (len <= 0) return;
    // A device filling the same buffer again writes the same pieces: such a range is just replaced.
    const same = this.locate(addr, len);
    if (same >= 0 && this.lo[same] === addr && this.hi[same] === addr + len) {
      this.off[same] = sourceOff;
      this.src[same] = source;
      return;
    }
    const at = this.cut(addr, addr + len);
    this.lo.splice(at, 0, addr);
    this.hi.splice(at, 0, addr + len);
    this.off.splice(at, 0, sourceOff);
    this.src.splice(at, 0, source);
    if (this.lo.length > MAX_RANGES) this.writeOutAll();
  }

  /** Takes [lo, hi) out of every range; returns the index a range starting at lo would take. */
  cut(lo: number, hi: number): number {
    let i = this.firstEndingAfter(lo);
    while (i < this.lo.length && this.lo[i]! < hi) {
      const rlo = this.lo[i]!;
      const rhi = this.hi[i]!;
      if (rlo < lo && rhi > hi) {
        // The cut falls inside the range: both ends stay.
        this.lo.splice(i + 1, 0, hi);
        this.hi.splice(i + 1, 0, rhi);
        this.off.splice(i + 1, 0, this.off[i]! + (hi - rlo));
        this.src.splice(i + 1, 0, this.src[i]!);
        this.hi[i] = lo;
        return i + 1;
      }
      if (rlo < lo) {
        this.hi[i] = lo;
        i++;
      } else if (rhi > hi) {
        this.off[i] = this.off[i]! + (hi - rlo);
        this.lo[i] = hi;
        return i;
      } else {
        this.lo.splice(i, 1);
        this.hi.splice(i, 1);
        this.off.splice(i, 1);
        this.src.splice(i, 1);
      }
    }
    return i;
  }

  /**
   * How [addr, +len) lies against the ranges: the index of the range holding all of it (>= 0), NONE when
   * no range meets it, or PARTLY.
   */
  locate(addr: number, len: number): number {
    const i = this.firstEndingAfter(addr);
    if (i === this.lo.length || this.lo[i]! >= addr + len) return NONE;
    return this.lo[i]! <= addr && this.hi[i]! >= addr + len ? i : PARTLY;
  }

  /** Range i's bytes at [addr, +len) (inside it) into dst. */
  bytesOf(i: number, addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.src[i]!.bytesAt(this.off[i]! + (addr - this.lo[i]!), dst, dstOff, len);
  }

  /** Range i's bytes at [addr, +4 * nWords) (inside it) as words into dst; false if its source cannot. */
  wordsOf(i: number, addr: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
    const off = this.off[i]! + (addr - this.lo[i]!);
    return off % 4 === 0 && this.src[i]!.wordsAt(off, dst, dstWord, nWords);
  }

  /** dst[dstOff + (x - addr)] = the source's byte for every x of [addr, +len) that a range covers. */
  overlay(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    const end = addr + len;
    for (let i = this.firstEndingAfter(addr); i < this.lo.length && this.lo[i]! < end; i++) {
      const lo = Math.max(this.lo[i]!, addr);
      const hi = Math.min(this.hi[i]!, end);
      this.bytesOf(i, lo, dst, dstOff + (lo - addr), hi - lo);
    }
  }

  /** Writes every range out as bytes and forgets them. */
  writeOutAll(): void {
    let buf = new Uint8Array(0);
    for (let i = 0; i < this.lo.length; i++) {
      const n = this.hi[i]! - this.lo[i]!;
      if (buf.length < n) buf = new Uint8Array(n);
      this.src[i]!.bytesAt(this.off[i]!, buf, 0, n);
      this.writeBytes(this.lo[i]!, buf, 0, n);
    }
    this.lo = [];
    this.hi = [];
    this.off = [];
    this.src = [];
    this.last = 0;
  }

  /** Index of the first range that ends after addr (ranges are sorted and disjoint). */
  private firstEndingAfter(addr: number): number {
    const hi = this.hi;
    const n = hi.length;
    // The last range found, or the one after it, mostly answers (reads walk forwards).
    let i = this.last;
    if (i < n && hi[i]! > addr && (i === 0 || hi[i - 1]! <= addr)) return i;
    i++;
    if (i < n && hi[i]! > addr && hi[i - 1]! <= addr) {
      this.last = i;
      return i;
    }
    let a = 0;
    let b = n;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (hi[m]! <= addr) a = m + 1;
      else b = m;
    }
    if (a < n) this.last = a;
    return a;
  }
}
