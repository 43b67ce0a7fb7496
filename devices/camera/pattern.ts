// The verifiable frame pattern: every line starts with an 8-byte header (marker 0xF5, plane region, line
// number u16 LE, frame number u32 LE) and is filled with a byte derived from (frame, line), so a stale line,
// a line of another frame, or a line half-written can all be told apart. Generation and checking use native
// fill/compare on whole lines (or word stores for a cache line); only pieces of at most 64 bytes (a header
// read) are made byte by byte.

import type { ByteSource } from '../../soc/memory/memory-target.ts';

export const LINE_HEADER_BYTES = 8;
export const LINE_MARKER = 0xf5;

export function fillByte(frame: number, line: number): number {
  return (Math.imul(frame, 131) + Math.imul(line, 7) + 1) & 0xff;
}

/** The header's first word (little-endian): marker, 0, line number. */
function headerWord0(line: number): number {
  return LINE_MARKER | ((line & 0xffff) << 16);
}

/** Byte `col` (< LINE_HEADER_BYTES) of the header of line `line` of frame `frame`. */
function headerByte(col: number, frame: number, line: number): number {
  return col < 4 ? (headerWord0(line) >>> (col * 8)) & 0xff : (frame >>> ((col - 4) * 8)) & 0xff;
}

/** Pieces up to this long are filled by a loop (a header read), longer ones by a native fill. */
const SHORT_PIECE = 64;

/**
 * dst[dstOff, +n) = bytes [from, +n) of consecutive lines of `stride` bytes, the first being line
 * `firstLine` of frame `frame`: any part of them, so a reader can be given a few bytes of a frame.
 */
export function writePatternBytes(dst: Uint8Array, dstOff: number, from: number, n: number, stride: number, frame: number, firstLine: number): void {
  const end = from + n;
  for (let pos = from; pos < end; ) {
    const i = Math.floor(pos / stride);
    const lineStart = i * stride;
    const stop = Math.min(lineStart + stride, end);
    const line = firstLine + i;
    const d = dstOff + (pos - from);
    const b = fillByte(frame, line);
    if (stop - pos <= SHORT_PIECE) {
      for (let k = d, e = d + (stop - pos); k < e; k++) dst[k] = b;
    } else {
      dst.fill(b, d, d + (stop - pos));
    }
    // A line shorter than its header carries none (it is all fill).
    if (stride >= LINE_HEADER_BYTES) {
      for (let col = pos - lineStart, last = Math.min(LINE_HEADER_BYTES, stop - lineStart); col < last; col++) dst[dstOff + (lineStart + col - from)] = headerByte(col, frame, line);
    }
    pos = stop;
  }
}

/** Writes line `line` of frame `frame` (len bytes) at dst[off]. */
export function writeLine(dst: Uint8Array, off: number, len: number, frame: number, line: number): void {
  writePatternBytes(dst, off, 0, len, len, frame, line);
}

/** Writes `count` consecutive lines of `stride` bytes starting at frame line `firstLine`. */
export function writeLines(dst: Uint8Array, off: number, stride: number, count: number, frame: number, firstLine: number): void {
  writePatternBytes(dst, off, 0, count * stride, stride, frame, firstLine);
}

/**
 * Consecutive lines of a frame, from line `firstLine`, as a ByteSource: what the camera's DMA writes in one
 * transfer, computed whenever (and for whatever part) memory is read, so bytes nobody reads are never made.
 */
export class LinePattern implements ByteSource {
  constructor(
    readonly stride: number,
    readonly frame: number,
    readonly firstLine: number,
  ) {}

  bytesAt(off: number, dst: Uint8Array, dstOff: number, n: number): void {
    writePatternBytes(dst, dstOff, off, n, this.stride, this.frame, this.firstLine);
  }

  /** Words of a piece inside one line whose header, if it holds any of it, it holds whole (a line refill). */
  wordsAt(off: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
    const stride = this.stride;
    const i = Math.floor(off / stride);
    const col = off - i * stride;
    if (col + 4 * nWords > stride || (col !== 0 && col < LINE_HEADER_BYTES) || stride < LINE_HEADER_BYTES) return false;
    const line = this.firstLine + i;
    const fill = Math.imul(fillByte(this.frame, line), 0x01010101);
    let w = 0;
    if (col === 0) {
      if (nWords < 2) return false;
      dst[dstWord] = headerWord0(line);
      dst[dstWord + 1] = this.frame | 0;
      w = 2;
    }
    for (; w < nWords; w++) dst[dstWord + w] = fill;
    return true;
  }
}

/**
 * Counts the lines of `got` (count lines of `stride` bytes) that differ from the pattern of `frame`;
 * `ref` is a scratch buffer at least as large, overwritten with the expected bytes.
 */
export function countBadLines(got: Uint8Array, gotOff: number, ref: Uint8Array, stride: number, count: number, frame: number, firstLine: number): number {
  const bytes = stride * count;
  writeLines(ref, 0, stride, count, frame, firstLine);
  const g = Buffer.from(got.buffer, got.byteOffset + gotOff, bytes);
  const r = Buffer.from(ref.buffer, ref.byteOffset, bytes);
  if (g.equals(r)) return 0;
  let bad = 0;
  for (let i = 0; i < count; i++) {
    const o = i * stride;
    if (!g.subarray(o, o + stride).equals(r.subarray(o, o + stride))) bad++;
  }
  return bad;
}
