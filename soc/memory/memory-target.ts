/**
 * The functional memory interface: something bytes can be read from and written to at physical
 * addresses. Addresses are absolute physical addresses (numbers below 2^53), never region offsets,
 * so a target can name the address in its errors.
 */
export interface MemoryTarget {
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void;
  write(addr: number, src: Uint8Array, srcOff: number, len: number): void;
  fill(addr: number, len: number, byte: number): void;
  /**
   * Optional fast path for cache-line refills: dst[dstWord, +nWords) = the little-endian 32-bit words of
   * the bytes at [addr, +4 * nWords). Returns false (nothing read) when it cannot serve the range in one
   * go; the caller then uses `read`.
   */
  readWords?(addr: number, dst: Int32Array, dstWord: number, nWords: number): boolean;
  /**
   * Optional: [addr, +len) now holds bytes [sourceOff, +len) of `source`, which a target may keep as the
   * source (computing bytes when read) rather than copy; see ByteSource. Without it callers write the bytes.
   */
  writeFrom?(addr: number, len: number, source: ByteSource, sourceOff: number): void;
}

/**
 * Bytes a device produces by a rule (a camera's test pattern) rather than holds. A source must give the
 * same bytes every time it is asked: a target may ask long after the write, and for any part of it.
 */
export interface ByteSource {
  /** dst[dstOff, +n) = the source's bytes [off, +n). */
  bytesAt(off: number, dst: Uint8Array, dstOff: number, n: number): void;
  /**
   * dst[dstWord, +nWords) = the little-endian words of bytes [off, +4 * nWords) (off a multiple of 4), for
   * cache-line refills; false when the source does not serve that range as words (bytesAt is then used).
   */
  wordsAt(off: number, dst: Int32Array, dstWord: number, nWords: number): boolean;
}

// One scratch word for the 32-bit helpers: page-table walkers call them per descriptor, so no allocation.
const scratch = new Uint8Array(4);

/** A growable buffer that a source's bytes are made in when they must move as bytes. */
export interface ByteScratch {
  bytes: Uint8Array;
}

/** Makes bytes [sourceOff, +len) of `source` at the start of `into` (grown when too short); returns its array. */
export function sourceBytes(source: ByteSource, sourceOff: number, len: number, into: ByteScratch): Uint8Array {
  if (into.bytes.length < len) into.bytes = new Uint8Array(Math.max(len, 2 * into.bytes.length));
  source.bytesAt(sourceOff, into.bytes, 0, len);
  return into.bytes;
}

/** Writes bytes [sourceOff, +len) of `source` to `target` at addr: kept as the source where it can, else made in `into` and copied. */
export function writeFromSource(target: MemoryTarget, addr: number, len: number, source: ByteSource, sourceOff: number, into: ByteScratch): void {
  if (target.writeFrom !== undefined) target.writeFrom(addr, len, source, sourceOff);
  else target.write(addr, sourceBytes(source, sourceOff, len, into), 0, len);
}

/** Reads a little-endian 32-bit word (unsigned) at `addr`. */
export function readU32(target: MemoryTarget, addr: number): number {
  target.read(addr, scratch, 0, 4);
  return (scratch[0]! | (scratch[1]! << 8) | (scratch[2]! << 16) | (scratch[3]! << 24)) >>> 0;
}

/** Writes `value` as a little-endian 32-bit word at `addr`. */
export function writeU32(target: MemoryTarget, addr: number, value: number): void {
  scratch[0] = value & 0xff;
  scratch[1] = (value >>> 8) & 0xff;
  scratch[2] = (value >>> 16) & 0xff;
  scratch[3] = (value >>> 24) & 0xff;
  target.write(addr, scratch, 0, 4);
}

/** Formats an address as 0x followed by 16 hex digits, the form every bus and memory error uses. */
export function hexAddr(addr: number): string {
  return `0x${addr.toString(16).padStart(16, '0')}`;
}
