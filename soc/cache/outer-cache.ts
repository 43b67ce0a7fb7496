import type { ClockDomain } from '../../emulator/kernel/clock.ts';
import type { Rng } from '../../emulator/kernel/rng.ts';
import type { Ps } from '../../emulator/kernel/time.ts';
import type { MemoryTarget } from '../memory/memory-target.ts';
import { Cache, LINE_DIRTY, LINE_VALID } from './cache.ts';
import { LineEventKind } from './line-history.ts';
import type { LineHistory } from './line-history.ts';
import type { ReplacementKind } from './replacement.ts';
import type { VersionPlanes } from './version-planes.ts';
import { CycleTime } from './cycle-time.ts';

/** The atomic timing path below the caches (the Interconnect's `accessDelay`). */
export interface TimingPort {
  /** Reserves the path for an access made at `now`; returns the ps from `now` until it completes. */
  accessDelay(addr: number, len: number, isWrite: boolean, now: Ps): Ps;
}

/** PL310 errata this model reproduces (REFERENCE §2). */
export interface Pl310Errata {
  /** r0p0–r1p0: clean+invalidate (by PA, index or way) does not invalidate clean lines. */
  e588369: boolean;
  /** r2p0–r3p0: a store hitting a line during a background clean+invalidate by way is lost. */
  e727915: boolean;
}

/** Kernel workaround for 727915: none, DEBUG_CTRL=0x03 around the flush, or a CLEAN_INV_LINE_IDX walk. */
export type Workaround727915 = 'none' | 'debug-ctrl' | 'index-walk';

export interface OuterCacheConfig {
  sizeBytes: number;
  ways: number;
  lineBytes: number;
  replacement: ReplacementKind;
  /** PL310 RTL revision, e.g. 'r3p2'. */
  revision: string;
  errata: Pl310Errata;
  /** Apply the kernel's 588369 workaround (separate clean and invalidate under DEBUG_CTRL = 0x03). */
  workaround588369: boolean;
  workaround727915: Workaround727915;
  /** Clean / flush ranges at least this long become whole-cache by-way ops (Samsung 3.x: the cache size; mainline: Infinity). */
  wayOpThresholdBytes: number;
  /** Extra load-to-use CPU cycles of an L2 hit over an L1 hit. */
  hitCycles: number;
  /** Tag and data RAM latencies (read, write, setup), L2 clock cycles: informative (folded into hitCycles). */
  tagLatency: readonly [number, number, number];
  dataLatency: readonly [number, number, number];
  /** CPU cycles of one maintenance register write (an uncached MMIO store through AXI/APB) incl. tag lookup. */
  lineOpCycles: number;
  /** Extra CPU cycles when a maintenance op or an eviction writes a dirty line back. */
  writebackCycles: number;
  /** CACHE_SYNC register write and wait. */
  syncCycles: number;
  /** The kernel works in blocks of this many bytes, dropping and retaking its spinlock between blocks. */
  blockBytes: number;
  blockCycles: number;
  /** A background by-way operation spends this many CPU cycles per cache slot (the CPU polls until done). */
  wayOpCyclesPerLine: number;
  /** One DEBUG_CTRL write (errata workarounds). */
  debugCtrlCycles: number;
}

/** Counters of the outer cache (plain numbers; cheap to bump on hot paths). */
export interface OuterCacheStats {
  hits: number;
  misses: number;
  writebacks: number;
  linesCleaned: number;
  linesInvalidated: number;
  maintOps: number;
  maintCycles: number;
  maintBytes: number;
  wayOps: number;
  lostStores: number;
}

const OP_CLEAN = 1;
const OP_INV = 2;
const OP_FLUSH = 3;

/**
 * PL310 (L2C-310): a shared, physically indexed outer cache with its by-PA, by-index and by-way
 * maintenance operations, the Samsung 3.x range thresholds, and errata 588369 / 727915.
 * Holds data; a dirty line evicted or cleaned is written to DRAM (functional) and reserves DRAM time.
 */
export class OuterCache {
  readonly cache: Cache;
  readonly cfg: OuterCacheConfig;
  readonly stats: OuterCacheStats = {
    hits: 0,
    misses: 0,
    writebacks: 0,
    linesCleaned: 0,
    linesInvalidated: 0,
    maintOps: 0,
    maintCycles: 0,
    maintBytes: 0,
    wayOps: 0,
    lostStores: 0,
  };
  /** Cycles of the last fetchLine (hit latency, or hit latency + memory time on a miss). */
  lastCost = 0;
  /** Window of a background clean+invalidate by way, [start, end) ps, for erratum 727915. */
  bgStart = -1;
  bgEnd = -1;
  /** Version planes while the coherency checker is attached (set by MemorySystem.attachObserver). */
  vp: VersionPlanes | null = null;
  /**
   * Where the versions of the write in progress come from: the L1 line being written back (its line index
   * in vp.cachePlanes), or -1: one version, vConst, for every byte (a device write).
   */
  vFromLine = -1;
  vConst = 0;
  /** The range of the by-PA invalidate in progress (empty otherwise), for the observer's discardDirty. */
  private invLo = 0;
  private invHi = 0;
  private readonly lb: number;
  private readonly snapTags: Int32Array;
  private readonly snapState: Uint8Array;
  /** One bit per line of the range in progress (host walk of linesOp); all zero between uses. */
  private bits = new Uint32Array(0);
  /** The slot of each line marked in `bits` (valid only where its bit is set). */
  private rangeSlots = new Int32Array(0);
  private readonly cycleTime: CycleTime;
  /** Whether `mem` offers readWords (line refills then move words, not bytes). */
  private readonly memReadsWords: boolean;

  constructor(
    cfg: OuterCacheConfig,
    rng: Rng,
    private readonly mem: MemoryTarget,
    private readonly timing: TimingPort,
    private readonly clock: ClockDomain,
    private readonly history: LineHistory | null,
    /** Fixed latency of an L2 miss on its way to the DMC (AXI, interconnect, DMC queue), ps. */
    private readonly memFixedLatencyPs: Ps,
  ) {
    this.cfg = cfg;
    this.cache = new Cache({ name: 'l2', sizeBytes: cfg.sizeBytes, ways: cfg.ways, lineBytes: cfg.lineBytes, replacement: cfg.replacement, rng });
    this.lb = cfg.lineBytes;
    this.snapTags = new Int32Array(this.cache.slots);
    this.snapState = new Uint8Array(this.cache.slots);
    this.cycleTime = new CycleTime(clock);
    this.memReadsWords = typeof mem.readWords === 'function' && this.lb % 4 === 0;
  }

  /** CPU cycles covering a duration, rounded up. */
  private cyclesFor(ps: Ps): number {
    return ps <= 0 ? 0 : Math.ceil((ps * this.clock.hz) / 1e12 - 1e-9);
  }

  private at(t0: Ps, cycles: number): Ps {
    return t0 + this.cycleTime.toPs(cycles);
  }

  // ---------------------------------------------------------------- data path

  /** Slot of the line of `la` if present (no replacement update). */
  peek(la: number): number {
    return this.cache.lookup(la);
  }

  /** Makes the line of `la` present (refilling from DRAM on a miss) and returns its slot; cost in lastCost. */
  fetchLine(la: number, t: Ps, speculative = false): number {
    const c = this.cache;
    let slot = c.lookup(la);
    if (slot >= 0) {
      c.touch(slot);
      this.stats.hits++;
      this.lastCost = this.cfg.hitCycles;
      return slot;
    }
    this.stats.misses++;
    slot = c.victimSlot(la);
    if (c.state[slot] !== 0) this.evictSlot(slot, t);
    const lineWords = this.lb >>> 2;
    if (!this.memReadsWords || !this.mem.readWords!(la, c.words, slot * lineWords, lineWords)) this.mem.read(la, c.data, slot * this.lb, this.lb);
    if (this.vp !== null) this.vp.dramLineToL2(la, slot);
    const done = t + this.timing.accessDelay(la, this.lb, false, t) + this.memFixedLatencyPs;
    c.install(slot, la, LINE_VALID);
    this.history?.record(la, speculative ? LineEventKind.speculativeFill : LineEventKind.fill, 2, -1, t);
    this.lastCost = this.cfg.hitCycles + this.cyclesFor(done - t);
    return slot;
  }

  /** True when a store into L2 at time t falls into the 727915 window (and is therefore special). */
  private inWindow(t: Ps): boolean {
    return t >= this.bgStart && t < this.bgEnd;
  }

  /** Whether the line was valid in L2 when the background clean+invalidate began. */
  private hitAtWindowStart(la: number): boolean {
    const c = this.cache;
    const set = c.setOf(la);
    const tag = Math.floor(la / c.geometry.wayBytes);
    for (let w = 0, s = set; w < c.ways; w++, s += c.sets) if (this.snapState[s] !== 0 && this.snapTags[s] === tag) return true;
    return false;
  }

  /**
   * Handles a store arriving during a background clean+invalidate by way. Returns true when the store was
   * consumed (lost, or written through under the debug-control workaround).
   */
  private raceStore(la: number, src: Uint8Array, srcOff: number, off: number, n: number, t: Ps): boolean {
    if (!this.inWindow(t)) return false;
    if (this.cfg.workaround727915 === 'debug-ctrl') {
      // DEBUG_CTRL = 0x03: write-back and line-fill disabled, the store goes straight to DRAM.
      this.mem.write(la + off, src, srcOff, n);
      if (this.vp !== null) this.versionsToDram(la + off, off, n);
      this.timing.accessDelay(la + off, n, true, t);
      return true;
    }
    if (this.cfg.errata.e727915 && this.hitAtWindowStart(la)) {
      this.stats.lostStores++;
      this.history?.record(la, LineEventKind.lostStore, 2, -1, t);
      return true;
    }
    return false;
  }

  /** A whole line written back from an L1 (write-allocate in L2, no DRAM read needed). */
  writeLine(la: number, src: Uint8Array, t: Ps): void {
    if (this.bgEnd > t && this.raceStore(la, src, 0, 0, this.lb, t)) return;
    const slot = this.allocateDirty(la, t);
    this.cache.data.set(src, slot * this.lb);
    if (this.vp !== null) this.versionsToL2(slot, 0, this.lb);
  }

  /** writeLine of the line held in `srcSlot` of an L1 `src` (same line size), copied word by word. */
  writeLineFromCache(la: number, src: Cache, srcSlot: number, t: Ps): void {
    if (this.bgEnd > t && this.raceStore(la, src.lineView(srcSlot), 0, 0, this.lb, t)) return;
    const slot = this.allocateDirty(la, t);
    this.cache.copyLineFrom(slot, src, srcSlot);
    if (this.vp !== null) this.versionsToL2(slot, 0, this.lb);
  }

  /** The slot the written-back line `la` goes to, made valid and dirty (evicting a victim if needed). */
  private allocateDirty(la: number, t: Ps): number {
    const c = this.cache;
    let slot = c.lookup(la);
    if (slot < 0) {
      slot = c.victimSlot(la);
      if (c.state[slot] !== 0) this.evictSlot(slot, t);
      c.install(slot, la, LINE_VALID | LINE_DIRTY);
    } else {
      c.touch(slot);
      c.state[slot] = LINE_VALID | LINE_DIRTY;
    }
    return slot;
  }

  /** Part of a line written by an ACP master: merged into L2 on a hit, else written to DRAM. */
  writePartial(la: number, off: number, src: Uint8Array, srcOff: number, n: number, t: Ps): void {
    if (this.bgEnd > t && this.raceStore(la, src, srcOff, off, n, t)) return;
    const c = this.cache;
    const slot = c.lookup(la);
    if (slot >= 0) {
      c.data.set(src.subarray(srcOff, srcOff + n), slot * this.lb + off);
      if (this.vp !== null) this.versionsToL2(slot, off, n);
      c.state[slot] = LINE_VALID | LINE_DIRTY;
    } else {
      this.mem.write(la + off, src, srcOff, n);
      if (this.vp !== null) this.versionsToDram(la + off, off, n);
    }
  }

  /** The versions of the write in progress into bytes [off, off+n) of L2 slot `slot`. */
  private versionsToL2(slot: number, off: number, n: number): void {
    const vp = this.vp!;
    const from = this.vFromLine;
    if (from < 0) vp.writeConst(vp.l2Base + slot * this.lb + off, n, this.vConst);
    else if (off === 0 && n === this.lb) vp.copyLine(vp.l2Line0 + slot, from);
    else {
      vp.materialise(from);
      vp.writeArray(vp.l2Base + slot * this.lb + off, vp.cachePlanes, from * this.lb + off, n);
    }
  }

  /** The versions of the write in progress (bytes [off, off+n) of its line) into DRAM at addr. */
  private versionsToDram(addr: number, off: number, n: number): void {
    const vp = this.vp!;
    if (this.vFromLine >= 0) vp.planeToDram(addr, this.vFromLine * this.lb + off, n);
    else vp.dramFill(addr, n, this.vConst);
  }

  /** Evicts a valid slot, writing it to DRAM when dirty. */
  evictSlot(slot: number, t: Ps): void {
    const c = this.cache;
    const la = c.lineAddr(slot);
    if (c.state[slot]! & LINE_DIRTY) {
      this.writeBack(slot, la, t);
      this.history?.record(la, LineEventKind.evictDirty, 2, -1, t);
    } else {
      this.history?.record(la, LineEventKind.evictClean, 2, -1, t);
    }
    c.state[slot] = 0;
  }

  private writeBack(slot: number, la: number, t: Ps): void {
    const vp = this.vp;
    if (vp !== null) {
      const line = vp.l2Line0 + slot;
      const uniform = vp.uniform[line]!;
      // One version over one version (a copied or device-written line over its old self): two numbers.
      const below = uniform >= 0 && vp.uniformObserver !== null ? vp.dramUniformValue(la, this.lb) : -1;
      if (below >= 0) {
        vp.uniformObserver!.writeBackUniform(la, this.lb, uniform, below, 'L2');
      } else {
        vp.materialise(line);
        vp.dramRead(la, vp.below, 0, this.lb);
        vp.observer.writeBack(la, this.lb, vp.l2, slot * this.lb, vp.below, 0, 'L2');
      }
      // A line of one version keeps a uniform DRAM version page uniform (a fill, not a copy).
      if (uniform >= 0) vp.dramFill(la, this.lb, uniform);
      else vp.dramWrite(la, vp.l2, slot * this.lb, this.lb);
    }
    this.mem.write(la, this.cache.data, slot * this.lb, this.lb);
    this.timing.accessDelay(la, this.lb, true, t);
    this.stats.writebacks++;
  }

  // ------------------------------------------------------------ line primitives

  /**
   * Applies one maintenance op to a slot at `atCycles` after t0; returns extra cycles (a dirty write-back).
   * The time is made where it is used, not by the caller nor at the top: a computed time passed to a call
   * or live across one is boxed (a heap number per line of a range).
   */
  private opSlot(op: number, slot: number, t0: Ps, atCycles: number): number {
    const c = this.cache;
    const st = c.state[slot]!;
    if (st === 0) return 0;
    const la = c.lineAddr(slot);
    let cycles = 0;
    const dirty = (st & LINE_DIRTY) !== 0;
    if (op !== OP_INV && dirty) {
      this.writeBack(slot, la, this.at(t0, atCycles));
      c.state[slot] = LINE_VALID;
      this.stats.linesCleaned++;
      cycles += this.cfg.writebackCycles;
    }
    if (op === OP_CLEAN) {
      this.history?.record(la, LineEventKind.clean, 2, -1, this.at(t0, atCycles));
      return cycles;
    }
    if (op === OP_INV && dirty && this.vp !== null) this.showDiscardDirty(this.vp, slot, la);
    if (op === OP_FLUSH && !dirty && this.cfg.errata.e588369 && !this.cfg.workaround588369) {
      // Erratum 588369: the combined operation leaves a clean line valid.
      this.history?.record(la, LineEventKind.clean, 2, -1, this.at(t0, atCycles));
      return cycles;
    }
    c.state[slot] = 0;
    this.stats.linesInvalidated++;
    this.history?.record(la, op === OP_INV ? LineEventKind.invalidate : LineEventKind.cleanInvalidate, 2, -1, this.at(t0, atCycles));
    return cycles;
  }

  /** An invalidate drops the dirty line in `slot`: shows the observer what stays visible below (DRAM). */
  private showDiscardDirty(vp: VersionPlanes, slot: number, la: number): void {
    vp.materialise(vp.l2Line0 + slot);
    vp.dramRead(la, vp.below, 0, this.lb);
    vp.observer.discardDirty(la, this.lb, vp.l2, slot * this.lb, vp.below, 0, 'L2', this.invLo, this.invHi);
  }

  /** Cycles of one by-PA / by-index register operation of kind `op` (incl. the 588369 workaround). */
  private lineOpCost(op: number): number {
    if (op === OP_FLUSH && this.cfg.errata.e588369 && this.cfg.workaround588369) {
      return 2 * this.cfg.lineOpCycles + 2 * this.cfg.debugCtrlCycles;
    }
    return this.cfg.lineOpCycles;
  }

  /**
   * One register op per line over [first, first + n) lines. The host walks the cache instead of the
   * range when the range has more lines than the cache has slots; affected lines are processed in
   * ascending address order either way, so state, DRAM timing and cycles are identical.
   * Returns the cycles spent, counted from `base` cycles after t0.
   */
  private linesOp(op: number, firstLa: number, n: number, t0: Ps, base: number, per = this.lineOpCost(op)): number {
    const c = this.cache;
    let wb = 0;
    // A lookup compares `ways` tags; a walk visits every slot once: walk when that is cheaper.
    if (n * c.ways <= c.slots) {
      for (let i = 0, la = firstLa; i < n; i++, la += this.lb) {
        const slot = c.lookup(la);
        if (slot >= 0) wb += this.opSlot(op, slot, t0, base + (i + 1) * per + wb);
      }
    } else {
      // Mark the range offsets of the present lines in a bitmap, then visit the set bits in ascending
      // order: the ascending-address order a sort of the addresses would give, in O(slots + n / 32).
      const lb = this.lb;
      const end = firstLa + n * lb;
      const bits = this.rangeBits(n);
      if (this.rangeSlots.length < n) this.rangeSlots = new Int32Array(Math.max(n, 2 * this.rangeSlots.length));
      const slotAt = this.rangeSlots;
      const state = c.state;
      const tags = c.tags;
      const wayBytes = c.wayBytes;
      const setMask = c.setMask;
      const slots = c.slotCount;
      // Tags outside [tagLo, tagHi] cannot hold a line of the range: one compare rejects them.
      const tagLo = Math.floor(firstLa / wayBytes);
      const tagHi = Math.floor((end - 1) / wayBytes);
      let lo = n;
      let hi = -1;
      const tagSpan = tagHi - tagLo;
      for (let slot = 0; slot < slots; slot++) {
        // Unsigned compare: one test for tagLo <= tag <= tagHi; most slots of a full cache fail it.
        if ((tags[slot]! - tagLo) >>> 0 > tagSpan || state[slot] === 0) continue;
        const tag = tags[slot]!;
        const la = tag * wayBytes + (slot & setMask) * lb;
        if (la < firstLa || la >= end) continue;
        const i = (la - firstLa) / lb;
        const word = bits[i >>> 5]!;
        const bit = 1 << (i & 31);
        // The first slot seen for a line is its lowest valid way: the one lookup(la) would return.
        if ((word & bit) === 0) {
          bits[i >>> 5] = word | bit;
          slotAt[i] = slot;
        }
        if (i < lo) lo = i;
        if (i > hi) hi = i;
      }
      if (hi >= 0) {
        try {
          for (let wi = lo >>> 5, wEnd = hi >>> 5; wi <= wEnd; wi++) {
            let word = bits[wi]!;
            while (word !== 0) {
              const b = 31 - Math.clz32(word & -word);
              word &= word - 1;
              const i = wi * 32 + b;
              // opSlot changes only its own slot, so the slot found by the walk still holds the line.
              wb += this.opSlot(op, slotAt[i]!, t0, base + (i + 1) * per + wb);
            }
          }
        } finally {
          bits.fill(0, lo >>> 5, (hi >>> 5) + 1);
        }
      }
    }
    this.stats.maintOps += n;
    this.stats.maintBytes += n * this.lb;
    return n * per + wb;
  }

  /** The zeroed bitmap for a range of n lines (grown, rarely, to the largest range seen). */
  private rangeBits(n: number): Uint32Array {
    const words = (n + 31) >>> 5;
    if (this.bits.length < words) this.bits = new Uint32Array(words);
    return this.bits;
  }

  /**
   * The L2 part of a by-VA operation to the PoC on a SoC whose L2 is reached by the CPU's own maintenance
   * instructions (arm64 DC CVAC/IVAC/CIVAC): no register writes, only the write-back cycles.
   */
  pocLines(op: 'clean' | 'inv' | 'flush', firstLa: number, n: number, t0: Ps): number {
    const code = op === 'clean' ? OP_CLEAN : op === 'inv' ? OP_INV : OP_FLUSH;
    return this.linesOp(code, firstLa, n, t0, 0, 0);
  }

  /** Spinlock drop/retake cost between 4 KiB blocks of a range of `bytes`. */
  private blockCost(bytes: number): number {
    const blocks = Math.ceil(bytes / this.cfg.blockBytes);
    return blocks > 1 ? (blocks - 1) * this.cfg.blockCycles : 0;
  }

  private done(cycles: number): number {
    this.stats.maintCycles += cycles;
    return cycles;
  }

  // ---------------------------------------------------------------- by PA

  /** l2x0_inv_range: partial edge lines cleaned+invalidated, full lines invalidated, never by way. */
  invRange(pa: number, len: number, t0: Ps): number {
    if (len <= 0) return 0;
    this.invLo = pa;
    this.invHi = pa + len;
    try {
      return this.invRangeLines(pa, len, t0);
    } finally {
      this.invLo = this.invHi = 0;
    }
  }

  private invRangeLines(pa: number, len: number, t0: Ps): number {
    const lb = this.lb;
    let start = pa;
    let end = pa + len;
    let cycles = 0;
    if (start % lb !== 0) {
      start -= start % lb;
      cycles += this.linesOp(OP_FLUSH, start, 1, t0, cycles);
      start += lb;
    }
    if (end % lb !== 0) {
      end -= end % lb;
      cycles += this.linesOp(OP_FLUSH, end, 1, t0, cycles);
    }
    if (end > start) {
      cycles += this.linesOp(OP_INV, start, (end - start) / lb, t0, cycles);
      cycles += this.blockCost(end - start);
    }
    cycles += this.cfg.syncCycles;
    return this.done(cycles);
  }

  /** l2x0_clean_range: per line, or clean-all by way when the range reaches the threshold. */
  cleanRange(pa: number, len: number, t0: Ps): number {
    if (len <= 0) return 0;
    if (len >= this.cfg.wayOpThresholdBytes) return this.cleanAll(t0);
    const start = pa - (pa % this.lb);
    const n = Math.ceil((pa + len - start) / this.lb);
    let cycles = this.linesOp(OP_CLEAN, start, n, t0, 0);
    cycles += this.blockCost(pa + len - start) + this.cfg.syncCycles;
    return this.done(cycles);
  }

  /** l2x0_flush_range: per line clean+invalidate, or flush-all by way at the threshold. */
  flushRange(pa: number, len: number, t0: Ps): number {
    if (len <= 0) return 0;
    if (len >= this.cfg.wayOpThresholdBytes) return this.flushAll(t0);
    const start = pa - (pa % this.lb);
    const n = Math.ceil((pa + len - start) / this.lb);
    let cycles = this.linesOp(OP_FLUSH, start, n, t0, 0);
    cycles += this.blockCost(pa + len - start) + this.cfg.syncCycles;
    return this.done(cycles);
  }

  // ----------------------------------------------------------- by index / way

  private slotOf(set: number, way: number): number {
    const c = this.cache;
    if (!Number.isInteger(set) || set < 0 || set >= c.sets || !Number.isInteger(way) || way < 0 || way >= c.ways) {
      throw new RangeError(`OuterCache: set/way ${set}/${way} out of range (sets ${c.sets}, ways ${c.ways})`);
    }
    return way * c.sets + set;
  }

  /** CLEAN_LINE_IDX: atomic. */
  cleanIndex(set: number, way: number, t0: Ps): number {
    const cycles = this.cfg.lineOpCycles;
    this.stats.maintOps++;
    return this.done(cycles + this.opSlot(OP_CLEAN, this.slotOf(set, way), t0, cycles));
  }

  /** CLEAN_INV_LINE_IDX: atomic (588369 applies). */
  cleanInvIndex(set: number, way: number, t0: Ps): number {
    const cycles = this.lineOpCost(OP_FLUSH);
    this.stats.maintOps++;
    return this.done(cycles + this.opSlot(OP_FLUSH, this.slotOf(set, way), t0, cycles));
  }

  /** Applies `op` to every slot in way-major order (the order the PL310 walks), returns write-back cycles. */
  private allSlots(op: number, t0: Ps, base: number, perSlot: number): number {
    const c = this.cache;
    let wb = 0;
    for (let slot = 0; slot < c.slots; slot++) {
      if (c.state[slot] !== 0) wb += this.opSlot(op, slot, t0, base + (slot + 1) * perSlot + wb);
    }
    return wb;
  }

  /** CLEAN_WAY on all ways: runs in the background; the kernel polls until it completes. */
  cleanAll(t0: Ps): number {
    const issue = this.cfg.lineOpCycles;
    const wb = this.allSlots(OP_CLEAN, t0, issue, this.cfg.wayOpCyclesPerLine);
    this.stats.wayOps++;
    this.stats.maintBytes += this.cfg.sizeBytes;
    return this.done(issue + this.cache.slots * this.cfg.wayOpCyclesPerLine + wb + this.cfg.syncCycles);
  }

  /** CLEAN_INV_WAY on all ways (or the 727915 index-walk workaround). */
  flushAll(t0: Ps): number {
    const c = this.cache;
    if (this.cfg.errata.e727915 && this.cfg.workaround727915 === 'index-walk') {
      const per = this.lineOpCost(OP_FLUSH);
      const wb = this.allSlots(OP_FLUSH, t0, 0, per);
      this.stats.maintOps += c.slots;
      this.stats.maintBytes += this.cfg.sizeBytes;
      return this.done(c.slots * per + wb + this.cfg.syncCycles);
    }
    const debug = this.cfg.errata.e727915 && this.cfg.workaround727915 === 'debug-ctrl' ? 2 * this.cfg.debugCtrlCycles : 0;
    const issue = this.cfg.lineOpCycles + debug / 2;
    const racy = this.cfg.errata.e727915;
    if (racy) {
      this.snapTags.set(c.tags);
      this.snapState.set(c.state);
    }
    const wb = this.allSlots(OP_FLUSH, t0, issue, this.cfg.wayOpCyclesPerLine);
    const total = issue + c.slots * this.cfg.wayOpCyclesPerLine + wb + debug / 2;
    if (racy) {
      this.bgStart = this.at(t0, issue);
      this.bgEnd = this.at(t0, total);
    }
    this.stats.wayOps++;
    this.stats.maintBytes += this.cfg.sizeBytes;
    return this.done(total + this.cfg.syncCycles);
  }

  /** INV_WAY on all ways (boot time only: it destroys dirty data). */
  invAll(t0: Ps): number {
    const issue = this.cfg.lineOpCycles;
    this.allSlots(OP_INV, t0, issue, this.cfg.wayOpCyclesPerLine);
    this.stats.wayOps++;
    return this.done(issue + this.cache.slots * this.cfg.wayOpCyclesPerLine + this.cfg.syncCycles);
  }

  /** CACHE_SYNC alone. */
  sync(): number {
    return this.done(this.cfg.syncCycles);
  }
}

/** Errata present in a PL310 revision (REFERENCE §2): 588369 in r0p0–r1p0, 727915 in r2p0–r3p0. */
export function pl310ErrataFor(revision: string): Pl310Errata {
  const m = /^r(\d)p(\d)$/.exec(revision);
  if (m === null) throw new RangeError(`pl310ErrataFor: expected a revision like 'r3p2', got '${revision}'`);
  const v = Number(m[1]) * 10 + Number(m[2]);
  return { e588369: v <= 10, e727915: v >= 20 && v <= 30 };
}
