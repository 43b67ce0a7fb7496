import type { Rng } from '../../emulator/kernel/rng.ts';

export type ReplacementKind = 'random' | 'lru' | 'round-robin';

/**
 * Chooses which way of a set to evict. Invalid ways are filled first by the cache itself; the policy is
 * only asked when every way of the set holds a line.
 */
export interface ReplacementPolicy {
  readonly kind: ReplacementKind;
  victim(set: number): number;
  /** A line of (set, way) was hit or filled. */
  touch(set: number, way: number): void;
}

/** Cortex-A9 L1 and PL310 default: pseudo-random, here from the seeded Rng so runs repeat. */
export class RandomReplacement implements ReplacementPolicy {
  readonly kind = 'random';
  /** ways - 1 when ways is a power of two (it always is for real caches), else -1. */
  private readonly wayMask: number;
  constructor(
    private readonly ways: number,
    private readonly rng: Rng,
  ) {
    this.wayMask = ways > 0 && (ways & (ways - 1)) === 0 ? ways - 1 : -1;
  }
  victim(): number {
    // For a power-of-two bound rng.int(ways) never rejects and returns nextU32() % ways: the same draw
    // and the same value, without its argument checks and float modulo (this runs on every refill); the
    // int32 form of the draw has the same low bits and is never boxed.
    if (this.wayMask >= 0) return this.rng.nextI32() & this.wayMask;
    return this.rng.int(this.ways);
  }
  touch(): void {}
}

/** True LRU with per-line age stamps (a monotonically growing counter per cache). */
export class LruReplacement implements ReplacementPolicy {
  readonly kind = 'lru';
  private readonly stamp: Float64Array;
  private clock = 0;
  constructor(
    private readonly sets: number,
    private readonly ways: number,
  ) {
    this.stamp = new Float64Array(sets * ways);
  }
  victim(set: number): number {
    let best = 0;
    let bestStamp = Infinity;
    for (let w = 0; w < this.ways; w++) {
      const s = this.stamp[w * this.sets + set]!;
      if (s < bestStamp) {
        bestStamp = s;
        best = w;
      }
    }
    return best;
  }
  touch(set: number, way: number): void {
    this.stamp[way * this.sets + set] = ++this.clock;
  }
}

/** Round-robin (PL310 option): a per-set pointer advanced at every replacement. */
export class RoundRobinReplacement implements ReplacementPolicy {
  readonly kind = 'round-robin';
  private readonly next: Uint8Array;
  constructor(
    sets: number,
    private readonly ways: number,
  ) {
    this.next = new Uint8Array(sets);
  }
  victim(set: number): number {
    const w = this.next[set]!;
    this.next[set] = (w + 1) % this.ways;
    return w;
  }
  touch(): void {}
}

export function createReplacement(kind: ReplacementKind, sets: number, ways: number, rng: Rng): ReplacementPolicy {
  switch (kind) {
    case 'random':
      return new RandomReplacement(ways, rng);
    case 'lru':
      return new LruReplacement(sets, ways);
    case 'round-robin':
      return new RoundRobinReplacement(sets, ways);
    default:
      throw new RangeError(`createReplacement: unknown policy '${String(kind)}', expected random | lru | round-robin`);
  }
}
