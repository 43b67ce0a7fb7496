/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna), state seeded from a 32-bit seed
 * through splitmix32. All simulated randomness comes from here so runs are reproducible.
 */

/** splitmix32 output function for a given state (the caller advances the state); used to spread a 32-bit seed over 128 bits of state. */
function splitmix32(state: number): number {
  let z = state | 0;
  z ^= z >>> 16;
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  z ^= z >>> 15;
  return z >>> 0;
}

/** FNV-1a over the UTF-16 code units of a label (for fork). */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;

export class RngError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'RngError';
  }
}

export class Rng {
  /** The 32-bit seed this stream was created from (forks derive from it, not from the current state). */
  readonly seed: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private scratch: Uint32Array | undefined;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RngError(`Rng: expected an integer seed, got ${seed}`);
    this.seed = seed >>> 0;
    let st = this.seed;
    st = (st + 0x9e3779b9) | 0;
    this.s0 = splitmix32(st);
    st = (st + 0x9e3779b9) | 0;
    this.s1 = splitmix32(st);
    st = (st + 0x9e3779b9) | 0;
    this.s2 = splitmix32(st);
    st = (st + 0x9e3779b9) | 0;
    this.s3 = splitmix32(st);
    // The all-zero state is a fixed point; splitmix32 never yields four zeros, but be safe.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * The next draw's 32 bits as a signed int32 (nextU32() | 0, the same state step). Values of 2^31 and up
   * would be heap numbers in V8; an int32 is not, so a caller that only masks low bits allocates nothing.
   */
  nextI32(): number {
    return this.nextU32() | 0;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Unbiased integer in [0, maxExclusive), for 1 <= maxExclusive <= 2^53 (rejection sampling). */
  int(maxExclusive: number): number {
    const n = maxExclusive;
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 53) {
      throw new RngError(`Rng.int: expected an integer bound in 1..2^53, got ${maxExclusive}`);
    }
    if (n <= TWO_32) {
      // Reject the top partial range so every residue is equally likely.
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const u = this.nextU32();
        if (u < limit) return u % n;
      }
    }
    const TWO_53 = 2 ** 53;
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const u = (this.nextU32() >>> 11) * TWO_32 + this.nextU32(); // 53 bits
      if (u < limit) return u % n;
    }
  }

  /**
   * Fills `bytes` with random bytes, four per generator step, in little-endian order of each word
   * (the last partial word uses its low bytes). Same stream whatever the buffer's alignment.
   */
  fill(bytes: Uint8Array): void {
    const len = bytes.length;
    const words = len >>> 2;
    if (LITTLE_ENDIAN && (bytes.byteOffset & 3) === 0 && words > 0) {
      const view = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
      for (let i = 0; i < words; i++) view[i] = this.nextU32();
    } else if (words > 0) {
      // Unaligned (or big-endian host): generate words into scratch, then copy bytes in bulk.
      const scratch = (this.scratch ??= new Uint32Array(1024));
      const scratchBytes = new Uint8Array(scratch.buffer);
      for (let done = 0; done < words; ) {
        const n = Math.min(words - done, scratch.length);
        for (let i = 0; i < n; i++) {
          const u = this.nextU32();
          scratch[i] = LITTLE_ENDIAN ? u : ((u & 0xff) << 24) | ((u & 0xff00) << 8) | ((u >>> 8) & 0xff00) | (u >>> 24);
        }
        bytes.set(scratchBytes.subarray(0, n * 4), done * 4);
        done += n;
      }
    }
    const rest = len & 3;
    if (rest > 0) {
      const u = this.nextU32();
      const base = words * 4;
      for (let k = 0; k < rest; k++) bytes[base + k] = (u >>> (8 * k)) & 0xff;
    }
  }

  /**
   * An independent stream derived from this stream's seed and `label` only (not from its current state),
   * so adding a consumer or drawing more numbers never shifts another fork. Same label → same stream.
   */
  fork(label: string): Rng {
    const mixed = splitmix32((this.seed ^ splitmix32(hashLabel(label) + 0x632be5ab)) + 0x9e3779b9);
    return new Rng(mixed);
  }
}
