import { sourceBytes } from './memory-target.ts';
import type { ByteSource } from './memory-target.ts';

/**
 * Most ranges kept before all of them are written out as bytes: ranges come from device transfers (a camera
 * keeps a few hundred, one per transfer into each of its buffers), so a store cut into more pieces than
 * this is not that pattern, and its bytes are better held as bytes.
 */
const MAX_RANGES = 4096;

/** Bytes per mark of the coarse filter: an access in unmarked blocks meets no range, without a search. */
const MARK_BYTES = 64 * 1024;
/** The filter covers stores of up to this many blocks (64 GiB); a larger one always searches. */
const MAX_MARKS = 1 << 20;

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
  // Per 64 KiB block of the store: 1 once a range was put there (until all are written out). Accesses to
  // other memory (an audio buffer, page tables) then cost one load, not a search.
  private readonly marks: Uint8Array | null;

  constructor(
    /** Writes bytes out when there are too many ranges (the store's own write). */
    private readonly writeBytes: (addr: number, src: Uint8Array, srcOff: number, len: number) => void,
    /** The store's address range, for the coarse filter (none when absent or too large). */
    private readonly base = 0,
    size = 0,
  ) {
    const blocks = Math.ceil(size / MARK_BYTES);
    this.marks = blocks > 0 && blocks <= MAX_MARKS ? new Uint8Array(blocks) : null;
  }

  get count(): number {
    return this.lo.length;
  }

  /** [addr, +len) now comes from `source`, starting at its byte `sourceOff`. */
  add(addr: number, len: number, source: ByteSource, sourceOff: number): void {
    if (len <= 0) return;
    const m = this.marks;
    if (m !== null) for (let b = this.blockOf(addr), last = this.blockOf(addr + len - 1); b <= last; b++) m[b] = 1;
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

  /** Takes [lo, hi) out of every range (bytes written there). */
  writtenOver(lo: number, hi: number): void {
    if (this.mayMeet(lo, hi - lo)) this.cut(lo, hi);
  }

  /** Takes [lo, hi) out of every range; returns the index a range starting at lo would take. */
  private cut(lo: number, hi: number): number {
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
    if (!this.mayMeet(addr, len)) return NONE;
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
    const into = { bytes: new Uint8Array(0) };
    for (let i = 0; i < this.lo.length; i++) {
      const n = this.hi[i]! - this.lo[i]!;
      this.writeBytes(this.lo[i]!, sourceBytes(this.src[i]!, this.off[i]!, n, into), 0, n);
    }
    this.lo = [];
    this.hi = [];
    this.off = [];
    this.src = [];
    this.last = 0;
    this.marks?.fill(0);
  }

  /** The filter's block of addr (callers keep addr inside the store). */
  private blockOf(addr: number): number {
    return Math.floor((addr - this.base) / MARK_BYTES);
  }

  /** False when no range can meet [addr, +len): every block it touches is unmarked. */
  private mayMeet(addr: number, len: number): boolean {
    const m = this.marks;
    if (m === null) return true;
    const first = this.blockOf(addr);
    const last = this.blockOf(addr + len - 1);
    // Long accesses (and any not checked against the store yet) just search.
    if (last - first > 64 || first < 0 || last >= m.length) return true;
    for (let b = first; b <= last; b++) if (m[b] !== 0) return true;
    return false;
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
