import { IommuConfigError } from './errors.ts';

export interface IotlbConfig {
  /** Number of sets (a power of two); the set is chosen by the accessed 4 KiB page: (iova >> 12) & (sets - 1). */
  sets: number;
  ways: number;
  /**
   * How an invalidate-by-address searches: 'set' looks only in the set that address indexes (Exynos SYSMMU v2,
   * hence 64 entry invalidations to cover a 1 MiB section), 'all-sets' compares every entry (an SMMU TLBI by VA).
   */
  invalidateSearch: 'set' | 'all-sets';
}

/** SYSMMU v2: 8-way × 64 sets (REFERENCE §5). */
export const SYSMMU_V2_IOTLB: IotlbConfig = { sets: 64, ways: 8, invalidateSearch: 'set' };

const SET_PAGE = 4096;
/** stale flag values */
const FRESH = 0;
export const STALE = 1;
export const STALE_REPORTED = 2;

/**
 * A set-associative IOTLB of leaf translations. An entry covers a whole leaf (4 KiB … 1 MiB or a block)
 * but lives in the set of the page that missed, as in the SYSMMU. LRU replacement within a set.
 * Entries also carry a checker-only `stale` mark: the driver has removed the mapping from the page table
 * while the hardware entry is still live. Hardware ignores the mark; the Iommu reports uses of such entries.
 */
export class Iotlb {
  readonly sets: number;
  readonly ways: number;
  readonly invalidateSearch: 'set' | 'all-sets';
  readonly valid: Uint8Array;
  readonly stale: Uint8Array;
  readonly iova: Float64Array;
  readonly pa: Float64Array;
  readonly size: Float64Array;
  readonly prot: Uint8Array;
  private readonly stamp: Float64Array;
  private tick = 0;
  hits = 0;
  misses = 0;

  constructor(cfg: IotlbConfig) {
    if (!Number.isInteger(cfg.sets) || cfg.sets <= 0 || (cfg.sets & (cfg.sets - 1)) !== 0) {
      throw new IommuConfigError(`Iotlb: sets must be a positive power of two, got ${cfg.sets}`);
    }
    if (!Number.isInteger(cfg.ways) || cfg.ways <= 0) throw new IommuConfigError(`Iotlb: ways must be a positive integer, got ${cfg.ways}`);
    this.sets = cfg.sets;
    this.ways = cfg.ways;
    this.invalidateSearch = cfg.invalidateSearch;
    const n = cfg.sets * cfg.ways;
    this.valid = new Uint8Array(n);
    this.stale = new Uint8Array(n);
    this.iova = new Float64Array(n);
    this.pa = new Float64Array(n);
    this.size = new Float64Array(n);
    this.prot = new Uint8Array(n);
    this.stamp = new Float64Array(n);
  }

  get entries(): number {
    return this.sets * this.ways;
  }

  private setOf(iova: number): number {
    return Math.floor(iova / SET_PAGE) & (this.sets - 1);
  }

  /** Returns the slot holding a translation for `iova`, or -1 (and counts the hit or miss). */
  lookup(iova: number): number {
    const base = this.setOf(iova) * this.ways;
    for (let w = 0; w < this.ways; w++) {
      const s = base + w;
      if (this.valid[s] === 1 && iova >= this.iova[s]! && iova < this.iova[s]! + this.size[s]!) {
        this.stamp[s] = ++this.tick;
        this.hits++;
        return s;
      }
    }
    this.misses++;
    return -1;
  }

  /** Fills the set of `iova` with a leaf translation, evicting the least recently used way. Returns the slot. */
  insert(iova: number, leafIova: number, leafPa: number, leafSize: number, prot: number): number {
    const base = this.setOf(iova) * this.ways;
    let victim = base;
    for (let w = 0; w < this.ways; w++) {
      const s = base + w;
      if (this.valid[s] === 0) {
        victim = s;
        break;
      }
      if (this.stamp[s]! < this.stamp[victim]!) victim = s;
    }
    this.valid[victim] = 1;
    this.stale[victim] = FRESH;
    this.iova[victim] = leafIova;
    this.pa[victim] = leafPa;
    this.size[victim] = leafSize;
    this.prot[victim] = prot;
    this.stamp[victim] = ++this.tick;
    return victim;
  }

  /** One invalidate-by-address operation; returns how many entries it removed. */
  invalidateEntry(va: number): number {
    let first = 0;
    let count = this.sets * this.ways;
    if (this.invalidateSearch === 'set') {
      first = this.setOf(va) * this.ways;
      count = this.ways;
    }
    let removed = 0;
    for (let s = first; s < first + count; s++) {
      if (this.valid[s] === 1 && va >= this.iova[s]! && va < this.iova[s]! + this.size[s]!) {
        this.valid[s] = 0;
        removed++;
      }
    }
    return removed;
  }

  invalidateAll(): number {
    let removed = 0;
    for (let s = 0; s < this.valid.length; s++) removed += this.valid[s]!;
    this.valid.fill(0);
    return removed;
  }

  /** Checker bookkeeping: marks live entries overlapping [iova, iova + size) as stale. Returns how many. */
  markStale(iova: number, size: number): number {
    let marked = 0;
    for (let s = 0; s < this.valid.length; s++) {
      if (this.valid[s] === 1 && this.stale[s] === FRESH && this.iova[s]! < iova + size && iova < this.iova[s]! + this.size[s]!) {
        this.stale[s] = STALE;
        marked++;
      }
    }
    return marked;
  }

  /** Live entries (for tests and stats). */
  liveEntries(): number {
    let n = 0;
    for (let s = 0; s < this.valid.length; s++) n += this.valid[s]!;
    return n;
  }
}
