// The verifiable audio pattern: stream data is cut into 1024-byte blocks; the first 32-bit word of block k
// holds k (little endian) and the rest holds a word derived from k. The application writes it, the I2S
// checks each word it plays (or the capture application checks each block it reads), so a stale or
// missing block is counted. Whole blocks are written with Uint32Array.fill, never per byte.

export const BLOCK_BYTES = 1024;
const BLOCK_WORDS = BLOCK_BYTES / 4;

export function blockFillWord(block: number): number {
  return (Math.imul(block, 0x9e3779b1) ^ 0x5a5a5a5a) >>> 0;
}

/** Expected 32-bit word at stream byte offset `pos` (multiple of 4). */
export function expectedWord(pos: number): number {
  const block = Math.floor(pos / BLOCK_BYTES);
  return pos % BLOCK_BYTES === 0 ? block >>> 0 : blockFillWord(block);
}

/** Writes the pattern of stream bytes [streamPos, streamPos + len) into dst (len and streamPos block-aligned). */
export function writeStream(dst: Uint8Array, off: number, streamPos: number, len: number): void {
  const words = new Uint32Array(dst.buffer, dst.byteOffset + off, len / 4);
  let block = streamPos / BLOCK_BYTES;
  for (let w = 0; w < words.length; w += BLOCK_WORDS, block++) {
    words.fill(blockFillWord(block), w, w + BLOCK_WORDS);
    words[w] = block >>> 0;
  }
}

/** Counts the blocks of src (stream bytes [streamPos, +len)) that differ from the pattern; `ref` is scratch. */
export function countBadBlocks(src: Uint8Array, off: number, ref: Uint8Array, streamPos: number, len: number): number {
  writeStream(ref, 0, streamPos, len);
  const g = Buffer.from(src.buffer, src.byteOffset + off, len);
  const r = Buffer.from(ref.buffer, ref.byteOffset, len);
  if (g.equals(r)) return 0;
  let bad = 0;
  for (let o = 0; o < len; o += BLOCK_BYTES) if (!g.subarray(o, o + BLOCK_BYTES).equals(r.subarray(o, o + BLOCK_BYTES))) bad++;
  return bad;
}
