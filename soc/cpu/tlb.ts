/** Cortex-A9 TLB geometry and the extra load-to-use cycles of its misses. */
export interface TlbConfig {
  /** Fully associative micro-TLB entries (32 on Cortex-A9). */
  microEntries: number;
  /** Unified main TLB entries and ways (128, 2-way on Cortex-A9). */
  mainEntries: number;
  mainWays: number;
  pageBytes: number;
  /** Extra cycles of a micro-TLB miss that hits the main TLB. */
  microMissCycles: number;
  /** Further cycles of a main-TLB miss (a table walk whose descriptors hit the caches). */
  walkCycles: number;
}

/**
 * A two-level TLB: a fully associative micro-TLB (round-robin replacement) in front of a set-associative
 * main TLB (round-robin per set). Only the hit/miss behaviour matters here (VA == PA in the linear map).
 */
export class Tlb {
  readonly cfg: TlbConfig;
  private readonly micro: Float64Array;
  private microNext = 0;
  /**
   * How many micro-TLB entries hold a page with each value of its low 8 bits: a page whose count is 0 is
   * not there, without scanning the entries (streaming through memory, most new pages miss).
   */
  private readonly microLowCount = new Uint32Array(256);
  private readonly main: Float64Array;
  private readonly mainNext: Uint8Array;
  private readonly mainSets: number;
  // 1 / pageBytes when that is a power of two (the multiply is then exact), else 0; mainSets - 1 likewise
  // for the set index (else -1): no float division or modulo per access.
  private readonly invPage: number;
  private readonly setMask: number;
  private lastPage = -1;
  microMisses = 0;
  mainMisses = 0;

  constructor(cfg: TlbConfig) {
    if (cfg.mainEntries % cfg.mainWays !== 0) throw new RangeError(`Tlb: mainEntries ${cfg.mainEntries} not divisible by ways ${cfg.mainWays}`);
    this.cfg = cfg;
    this.micro = new Float64Array(cfg.microEntries).fill(-1);
    this.main = new Float64Array(cfg.mainEntries).fill(-1);
    this.mainSets = cfg.mainEntries / cfg.mainWays;
    this.mainNext = new Uint8Array(this.mainSets);
    const pow2 = (n: number) => Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
    this.invPage = pow2(cfg.pageBytes) ? 1 / cfg.pageBytes : 0;
    this.setMask = pow2(this.mainSets) ? this.mainSets - 1 : -1;
  }

  /** Translates `va` and returns the extra cycles the lookup costs (0 on a micro-TLB hit). */
  access(va: number): number {
    const page = this.invPage !== 0 ? Math.floor(va * this.invPage) : Math.floor(va / this.cfg.pageBytes);
    if (page === this.lastPage) return 0;
    this.lastPage = page;
    const micro = this.micro;
    const low = this.microLowCount;
    // `& 0xff` is exact for any integer page below 2^53 (ToInt32 keeps the low 32 bits).
    if (low[page & 0xff] !== 0) for (let i = 0; i < micro.length; i++) if (micro[i] === page) return 0;
    this.microMisses++;
    const old = micro[this.microNext]!;
    if (old >= 0) low[old & 0xff]!--;
    low[page & 0xff]!++;
    micro[this.microNext] = page;
    this.microNext = this.microNext + 1 === micro.length ? 0 : this.microNext + 1;
    const set = this.setMask >= 0 && page <= 0x7fffffff ? page & this.setMask : page % this.mainSets;
    for (let w = 0; w < this.cfg.mainWays; w++) {
      if (this.main[w * this.mainSets + set] === page) return this.cfg.microMissCycles;
    }
    this.mainMisses++;
    const w = this.mainNext[set]!;
    this.mainNext[set] = (w + 1) % this.cfg.mainWays;
    this.main[w * this.mainSets + set] = page;
    return this.cfg.microMissCycles + this.cfg.walkCycles;
  }

  flush(): void {
    this.micro.fill(-1);
    this.microLowCount.fill(0);
    this.main.fill(-1);
    this.lastPage = -1;
  }
}
