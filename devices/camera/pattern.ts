// The verifiable frame pattern: every line starts with an 8-byte header (marker 0xF5, plane region, line
// number u16 LE, frame number u32 LE) and is filled with a byte derived from (frame, line), so a stale line,
// a line of another frame, or a line half-written can all be told apart. Generation and checking use native
// fill/compare on whole lines, never per-byte JS loops.

export const LINE_HEADER_BYTES = 8;
export const LINE_MARKER = 0xf5;

export function fillByte(frame: number, line: number): number {
  return (Math.imul(frame, 131) + Math.imul(line, 7) + 1) & 0xff;
}

/** Writes line `line` of frame `frame` (len bytes) at dst[off]. */
export function writeLine(dst: Uint8Array, off: number, len: number, frame: number, line: number): void {
  dst.fill(fillByte(frame, line), off, off + len);
  if (len < LINE_HEADER_BYTES) return;
  dst[off] = LINE_MARKER;
  dst[off + 1] = 0;
  dst[off + 2] = line & 0xff;
  dst[off + 3] = (line >>> 8) & 0xff;
  dst[off + 4] = frame & 0xff;
  dst[off + 5] = (frame >>> 8) & 0xff;
  dst[off + 6] = (frame >>> 16) & 0xff;
  dst[off + 7] = (frame >>> 24) & 0xff;
}

/** Writes `count` consecutive lines of `stride` bytes starting at frame line `firstLine`. */
export function writeLines(dst: Uint8Array, off: number, stride: number, count: number, frame: number, firstLine: number): void {
  for (let i = 0; i < count; i++) writeLine(dst, off + i * stride, stride, frame, firstLine + i);
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
