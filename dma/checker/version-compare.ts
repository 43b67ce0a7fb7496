// Comparing version runs without a per-byte JS loop on the common (equal) path: Buffer.equals is a native
// memcmp over the bytes of the two Uint32 runs. Only a mismatch, which is a violation, is scanned.
// Short runs (a line, a header) compare in a loop instead: wrapping them in two Buffers costs more.

/** Runs up to this many elements are compared by a plain loop (no Buffer views allocated). */
const LOOP_COMPARE_MAX = 64;

/** Index of the first element where `a` and `b` differ over `len` elements from the offsets, or -1. */
export function firstMismatch(a: Uint32Array, aOff: number, b: Uint32Array, bOff: number, len: number): number {
  if (len <= LOOP_COMPARE_MAX) {
    for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return i;
    return -1;
  }
  const ab = Buffer.from(a.buffer, a.byteOffset + aOff * 4, len * 4);
  const bb = Buffer.from(b.buffer, b.byteOffset + bOff * 4, len * 4);
  if (ab.equals(bb)) return -1;
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return i;
  return -1;
}

/** Length of the run of mismatching elements starting at `from` (stops at the first match). */
export function mismatchRun(a: Uint32Array, aOff: number, b: Uint32Array, bOff: number, from: number, len: number): number {
  let i = from;
  while (i < len && a[aOff + i] !== b[bOff + i]) i++;
  return i - from;
}
