import { VersionPlanes } from './version-planes.ts';
import type { DataObserver } from './data-observer.ts';
import type { ClockDomain } from '../../emulator/kernel/clock.ts';
import type { Rng } from '../../emulator/kernel/rng.ts';
import type { Ps } from '../../emulator/kernel/time.ts';
import { sourceBytes, writeFromSource } from '../memory/memory-target.ts';
import type { ByteScratch, ByteSource, MemoryTarget } from '../memory/memory-target.ts';
import type { CpuCore } from '../cpu/cpu-core.ts';
import { Cache, LINE_DIRTY, LINE_EXCLUSIVE, MESI_E, MESI_M, MESI_S } from './cache.ts';
import { LineEventKind, LineHistory } from './line-history.ts';
import { MemoryAttributeMap } from './memory-attributes.ts';
import type { MemType } from './memory-attributes.ts';
import { OuterCache } from './outer-cache.ts';
import type { OuterCacheConfig, OuterCacheStats, TimingPort } from './outer-cache.ts';
import type { ReplacementKind } from './replacement.ts';
import { WriteCombineBuffer } from './write-combine.ts';
import { CycleTime } from './cycle-time.ts';

export type CoherencyMode = 'none' | 'acp' | 'ace-lite';
export const COHERENCY_MODES: readonly CoherencyMode[] = ['none', 'acp', 'ace-lite'];

/** Kernel DMA direction values (include/linux/dma-direction.h); names accepted too. */
export const SocDmaDir = { BIDIRECTIONAL: 0, TO_DEVICE: 1, FROM_DEVICE: 2, NONE: 3 } as const;
export type DmaDirLike = 0 | 1 | 2 | 3 | 'BIDIRECTIONAL' | 'TO_DEVICE' | 'FROM_DEVICE' | 'NONE';

function dirValue(dir: DmaDirLike, where: string): number {
  const v = typeof dir === 'number' ? dir : SocDmaDir[dir];
  if (v !== 0 && v !== 1 && v !== 2) throw new RangeError(`${where}: expected a DMA direction (BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE), got ${String(dir)}`);
  return v;
}

export interface L1Config {
  sizeBytes: number;
  ways: number;
  lineBytes: number;
  replacement: ReplacementKind;
}

/** CPU-side access costs (CPU cycles). */
export interface CpuTimingConfig {
  /** Load-to-use latency of an L1 hit (Cortex-A9: 4). */
  l1LoadToUseCycles: number;
  /** Bytes the load/store path moves per cycle on hits (64-bit: 8). */
  l1BytesPerCycle: number;
  /** CPU cycles to hand a dirty victim to the eviction buffer. */
  l1WritebackCycles: number;
  /** A line supplied by another core's L1 through the SCU. */
  scuTransferCycles: number;
  /** Invalidating the other copies on a store to a Shared line. */
  scuInvalidateCycles: number;
  /** Fixed latency added to every memory read behind L2 (AXI, interconnect, DMC queue), ps. */
  memFixedLatencyPs: Ps;
  /** Extra cycles per additional 8-byte beat of an uncached line access. */
  uncachedBeatCycles: number;
  /** Bytes per Device (strongly ordered) access; each waits for its completion. */
  deviceAccessBytes: number;
  /** CPU cycles to post a write-combine buffer drain. */
  wcDrainCycles: number;
}

/** L1 maintenance costs (CPU cycles). */
export interface L1MaintenanceConfig {
  /** One by-MVA or set/way operation (issued per line whether the line is cached or not). */
  lineOpCycles: number;
  /** Extra when the line is dirty and written back to L2. */
  writebackCycles: number;
  /** dsb at the end of a range op. */
  barrierCycles: number;
  /** 'modern' v7_dma_inv_range, or the '2011' one that re-invalidates the first edge line in its loop. */
  invRangeStyle: 'modern' | '2011';
  /** By-VA ops reach the L2 too (arm64: DC C/I/CIVAC to the PoC); false on ARMv7 + PL310 (outer ops are separate). */
  reachesL2?: boolean;
}

export interface MemorySystemOptions {
  cores: CpuCore[];
  clock: ClockDomain;
  rng: Rng;
  /** Current simulated time (device accesses and speculation happen at `now`). */
  time: { readonly now: Ps };
  /** Functional memory (DRAM) below the caches. */
  memory: MemoryTarget;
  /** Atomic timing path (the Interconnect's `access` for the CPU master). */
  timing: TimingPort;
  l1: L1Config;
  l2: OuterCacheConfig;
  cpu: CpuTimingConfig;
  l1Maintenance: L1MaintenanceConfig;
  /** Kernel linear map (lowmem): cacheable, speculatively prefetchable. */
  linearMap: { base: number; size: number };
  /** Keep per-line event history (default true). */
  history?: boolean;
  /** Functional target of 'device' (strongly ordered) CPU accesses, e.g. PhysicalMemory over DRAM + MMIO; default `memory`. */
  deviceTarget?: MemoryTarget;
}

/** Counters of the L1 side (plain numbers). */
export interface L1Stats {
  hits: number;
  misses: number;
  writebacks: number;
  scuTransfers: number;
  scuInvalidations: number;
  linesCleaned: number;
  linesInvalidated: number;
  maintOps: number;
  maintCycles: number;
  maintBytes: number;
  wcDrains: number;
  speculativeFills: number;
}

const OP_CLEAN = 1;
const OP_INV = 2;
const OP_FLUSH = 3;
const RECENT = 8;
/** Runs up to this many bytes between the scratch page and a cache slab are moved word by word. */
const SHORT_RUN = 256;

/** Runs up to this many bytes are copied byte by byte (header reads): no subarray allocation, no set call. */
const TINY_RUN = 64;

/** dst[dOff, +n) = src[sOff, +n) for the data of a read. */
function copyBytes(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, n: number): void {
  if (n <= TINY_RUN) {
    for (let k = 0; k < n; k++) dst[dOff + k] = src[sOff + k]!;
  } else {
    dst.set(src.subarray(sOff, sOff + n), dOff);
  }
}

/** snoopHit's result bits: another L1 supplied the line's data; a copy stays Shared. */
const SNOOP_SUPPLIED = 1;
const SNOOP_SHARED = 2;

export class MemoryArgumentError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryArgumentError';
  }
}

/**
 * The CPU memory system: per-core L1 data caches kept coherent by an SCU (MESI), the shared PL310 outer
 * cache, write-combine buffers, and the functional + timing path to DRAM. CPU methods return CPU cycles
 * (the caller charges them to the core with `core.exec`); device methods are functional only (the device's
 * timing comes from the interconnect's transfer path).
 *
 * Assumptions: VA == PA (the kernel linear map); L1 by-MVA maintenance is broadcast to every L1 in the
 * inner-shareable domain (Cortex-A9 SMP with ACTLR.FW set) and charged to the issuing core; L2 is
 * non-inclusive (an L1 write-back allocates in L2).
 */
export class MemorySystem {
  readonly cores: CpuCore[];
  readonly l1d: Cache[];
  readonly l2: OuterCache;
  readonly history: LineHistory;
  /**
   * Loads inside one line take their own short path (loadInLine). False: every load takes the general
   * read loop, the reference that path must reproduce exactly (for tests).
   */
  inLineLoads = true;
  readonly attributes: MemoryAttributeMap;
  readonly lineBytes: number;
  readonly clock: ClockDomain;
  readonly stats: L1Stats = {
    hits: 0,
    misses: 0,
    writebacks: 0,
    scuTransfers: 0,
    scuInvalidations: 0,
    linesCleaned: 0,
    linesInvalidated: 0,
    maintOps: 0,
    maintCycles: 0,
    maintBytes: 0,
    wcDrains: 0,
    speculativeFills: 0,
  };
  readonly cpuCfg: CpuTimingConfig;
  readonly l1Maint: L1MaintenanceConfig;
  readonly linearMap: { base: number; size: number };
  /** 32-bit sum of the last cpuChecksum (what the CPU saw). */
  lastChecksum = 0;
  /** Recent CPU access addresses per core (ring of RECENT), for the speculation model. */
  readonly recent: Float64Array;
  readonly recentCount: Uint32Array;

  private readonly mem: MemoryTarget;
  private readonly deviceMem: MemoryTarget;
  private readonly timing: TimingPort;
  private readonly time: { readonly now: Ps };
  private readonly wc: WriteCombineBuffer[];
  private readonly lb: number;
  private readonly ncores: number;
  private readonly cycleTime: CycleTime;
  private readonly scratch: Uint8Array;
  // Where a device's rule-made bytes are made when they must move as bytes (through the caches).
  private readonly produced: ByteScratch = { bytes: new Uint8Array(0) };
  private readonly scratchWords: Int32Array;
  /**
   * Valid lines per L1, kept exact at every valid <-> invalid change below (lines become valid only through
   * l1Fill's install): an L1 holding none is skipped by SCU snoops and maintenance walks, which could not
   * find anything in it. Only a count of 0 is acted on, so an outside Cache.clear() (count too high) is safe.
   */
  private readonly l1Valid: Int32Array;
  /** Per core: its TLB page size minus one when a power of two (page base by a mask), else -1. */
  private readonly tlbPageMask: Int32Array;
  /** One bit per (line, core) of the range in progress (host walk of l1Lines); all zero between uses. */
  private rangeBits = new Uint32Array(0);
  /** The L1 slot of each (line, core) pair marked in rangeBits (valid only where its bit is set). */
  private rangeSlots = new Int32Array(0);
  // Per-operation time base: t0 + (base + local cycles).
  private t0: Ps = 0;
  private base = 0;
  private missCost = 0;
  private drainCore = 0;
  private drainTime: Ps = 0;
  private readonly drainWrite: (addr: number, off: number, n: number) => void;
  // Version planes while an observer (the coherency checker) is attached, and where the versions of the
  // write in progress come from: one version for every byte, or an array indexed like the source buffer.
  private vp: VersionPlanes | null = null;
  private wvConst = 0;
  private wvArr: Uint32Array | null = null;
  private wvBase = 0;
  /** The range of the by-MVA invalidate in progress (empty otherwise), for the observer's discardDirty. */
  private invLo = 0;
  private invHi = 0;

  constructor(opts: MemorySystemOptions) {
    if (opts.l1.lineBytes !== opts.l2.lineBytes) {
      throw new MemoryArgumentError(`MemorySystem: L1 line ${opts.l1.lineBytes} B and L2 line ${opts.l2.lineBytes} B must match`);
    }
    if (opts.cores.length < 1 || opts.cores.length > 16) throw new MemoryArgumentError(`MemorySystem: expected 1..16 cores, got ${opts.cores.length}`);
    this.cores = opts.cores;
    this.ncores = opts.cores.length;
    this.clock = opts.clock;
    this.cycleTime = new CycleTime(opts.clock);
    this.mem = opts.memory;
    this.deviceMem = opts.deviceTarget ?? opts.memory;
    this.timing = opts.timing;
    this.time = opts.time;
    this.cpuCfg = opts.cpu;
    this.l1Maint = opts.l1Maintenance;
    this.linearMap = opts.linearMap;
    this.lb = opts.l1.lineBytes;
    this.lineBytes = this.lb;
    this.history = new LineHistory(this.lb);
    this.history.enabled = opts.history ?? true;
    this.attributes = new MemoryAttributeMap(opts.linearMap.base, opts.linearMap.size);
    this.l1d = opts.cores.map(
      (c) => new Cache({ name: `l1d${c.id}`, ...opts.l1, rng: opts.rng.fork(`l1d${c.id}`) }),
    );
    this.l2 = new OuterCache(opts.l2, opts.rng.fork('l2'), opts.memory, opts.timing, opts.clock, this.history, opts.cpu.memFixedLatencyPs);
    this.wc = opts.cores.map(() => new WriteCombineBuffer(this.lb));
    this.scratch = new Uint8Array(4096);
    this.scratchWords = new Int32Array(this.scratch.buffer);
    this.recent = new Float64Array(this.ncores * RECENT).fill(-1);
    this.recentCount = new Uint32Array(this.ncores);
    this.l1Valid = new Int32Array(this.ncores);
    this.tlbPageMask = Int32Array.from(opts.cores, (c) => {
      const page = c.tlb.cfg.pageBytes;
      return Number.isInteger(page) && page > 0 && page <= 2 ** 30 && (page & (page - 1)) === 0 ? page - 1 : -1;
    });
    this.drainWrite = (addr, off, n) => {
      const buf = this.wc[this.drainCore]!;
      this.mem.write(addr, buf.data, off, n);
      if (this.vp !== null) this.vp.dramWrite(addr, buf.versions!, off, n);
      this.timing.accessDelay(addr, n, true, this.drainTime);
    };
  }

  /**
   * Attaches an observer (the coherency checker): from now on every byte carries the version of the write
   * that produced it, through every cache, buffer and DRAM, and the observer sees every read's versions.
   * `uniformLines: false` keeps every cache line's versions per byte (no one-version marks): the reference
   * the marks are tested against; the results are identical either way.
   */
  attachObserver(observer: DataObserver, opts: { uniformLines?: boolean } = {}): void {
    const vp = new VersionPlanes(observer, this.l1d[0]!.slots, this.l2.cache.slots, this.lb, this.ncores, this.linearMap.base, this.linearMap.size, opts.uniformLines ?? true);
    this.vp = vp;
    this.l2.vp = vp;
    this.wc.forEach((b, i) => (b.versions = vp.wc[i]!));
  }

  /** Copies the versions of the write in progress (source index `i`) into core's L1 plane at dstOff. */
  private writeL1Versions(core: number, dstOff: number, i: number, n: number): void {
    const vp = this.vp!;
    const at = vp.l1Base[core]! + dstOff;
    if (this.wvArr !== null) vp.writeArray(at, this.wvArr, i + this.wvBase, n);
    else vp.writeConst(at, n, this.wvConst);
  }

  /** Copies the versions of the write in progress (source index `i`) into a write-combine buffer's plane. */
  private writeVersions(dst: Uint32Array, dstOff: number, i: number, n: number): void {
    const arr = this.wvArr;
    if (arr !== null) dst.set(arr.subarray(i + this.wvBase, i + this.wvBase + n), dstOff);
    else dst.fill(this.wvConst, dstOff, dstOff + n);
  }

  private writeVersionsToDram(pa: number, i: number, n: number): void {
    const vp = this.vp!;
    if (this.wvArr !== null) vp.dramWrite(pa, this.wvArr, i + this.wvBase, n);
    else vp.dramFill(pa, n, this.wvConst);
  }

  /** A CPU write stamps a new version on the bytes it writes. */
  private stampCpuWrite(core: number, pa: number, len: number): void {
    if (this.vp === null) return;
    this.wvConst = this.vp.observer.cpuWriteVersion(core, pa, len);
    this.wvArr = null;
  }

  // ------------------------------------------------------------------ helpers

  private check(where: string, core: number, pa: number, len: number, buf?: Uint8Array, off?: number): void {
    // `>>> 0` is the identity exactly on integers in [0, 2^32): one test for integer and non-negative.
    // The messages are built in the reject methods: check runs on every access, and V8 inlines it only while
    // it stays small.
    if (core >>> 0 !== core || core >= this.ncores) this.rejectCore(where, core);
    if (!Number.isSafeInteger(pa) || pa < 0 || !Number.isSafeInteger(len) || len < 0) this.rejectRange(where, pa, len);
    if (buf !== undefined && (off === undefined || !Number.isInteger(off) || off < 0 || off + len > buf.length)) this.rejectBuffer(where, len, buf, off);
  }

  private rejectCore(where: string, core: number): never {
    throw new MemoryArgumentError(`MemorySystem.${where}: core ${core} does not exist (0..${this.ncores - 1})`);
  }

  private rejectRange(where: string, pa: number, len: number): never {
    throw new MemoryArgumentError(`MemorySystem.${where}: expected pa >= 0 and len >= 0 integers, got ${pa} +${len}`);
  }

  private rejectBuffer(where: string, len: number, buf: Uint8Array, off: number | undefined): never {
    throw new MemoryArgumentError(`MemorySystem.${where}: buffer range ${off}+${len} exceeds its ${buf.length} bytes`);
  }

  private begin(core: number): void {
    this.t0 = this.cores[core]!.startTime();
    this.base = 0;
  }

  /** Time `cycles` into the current operation. */
  private at(cycles: number): Ps {
    return this.t0 + this.cycleTime.toPs(this.base + cycles);
  }

  private cyclesFor(ps: Ps): number {
    return ps <= 0 ? 0 : Math.ceil((ps * this.clock.hz) / 1e12 - 1e-9);
  }

  private noteAccess(core: number, pa: number): void {
    const i = this.recentCount[core]!++;
    this.recent[core * RECENT + (i & (RECENT - 1))] = pa; // RECENT is a power of two
  }

  private tlbCost(core: number, pa: number, len: number): number {
    const tlb = this.cores[core]!.tlb;
    const page = tlb.cfg.pageBytes;
    // pa is a safe integer >= 0: `pa & mask` is its low bits, exactly pa % page (no float modulo).
    const mask = this.tlbPageMask[core]!;
    const first = pa - (mask >= 0 ? pa & mask : pa % page);
    // Most accesses stay in one page: one translation.
    if (len > 0 && pa + len <= first + page) return tlb.access(first);
    let cycles = 0;
    for (let p = first; p < pa + len; p += page) cycles += tlb.access(p);
    return cycles;
  }

  /** Writes an L1 line back into L2 (clean; the L1 keeps it unless the caller invalidates). */
  private l1WriteBack(core: number, slot: number, la: number, t: Ps): void {
    const l1 = this.l1d[core]!;
    if (this.vp !== null) this.l2.vFromLine = this.vp.l1Line0[core]! + slot;
    this.l2.writeLineFromCache(la, l1, slot, t);
    l1.state[slot] = l1.state[slot]! & ~LINE_DIRTY;
    this.stats.writebacks++;
  }

  private evictL1(core: number, slot: number, t: Ps): number {
    const l1 = this.l1d[core]!;
    const la = l1.lineAddr(slot);
    let cycles = 0;
    if (l1.state[slot]! & LINE_DIRTY) {
      this.l1WriteBack(core, slot, la, t);
      this.history.record(la, LineEventKind.evictDirty, 1, core, t);
      cycles = this.cpuCfg.l1WritebackCycles;
    } else {
      this.history.record(la, LineEventKind.evictClean, 1, core, t);
    }
    l1.state[slot] = 0; // callers pass a valid slot
    this.l1Valid[core]!--;
    return cycles;
  }

  /**
   * Makes the line `la` present in core's L1 (MESI through the SCU, then L2, then DRAM) and returns its
   * slot; for a write the line ends Modified and every other copy is invalidated. Cost in this.missCost.
   */
  private l1Line(core: number, la: number, t: Ps, forWrite: boolean, speculative = false): number {
    const l1 = this.l1d[core]!;
    const slot = l1.lookup(la);
    if (slot < 0) return this.l1Fill(core, la, t, forWrite, speculative);
    this.missCost = 0;
    this.stats.hits++;
    l1.touch(slot);
    if (forWrite) {
      const st = l1.state[slot]!;
      if ((st & LINE_EXCLUSIVE) === 0) this.missCost = this.invalidateOthers(core, la);
      l1.state[slot] = MESI_M;
    }
    return slot;
  }

  /** The miss half of l1Line, for callers that have just looked `la` up in core's L1 and not found it. */
  private l1Fill(core: number, la: number, t: Ps, forWrite: boolean, speculative: boolean): number {
    const l1 = this.l1d[core]!;
    this.stats.misses++;
    let cost = 0;
    const slot = l1.victimSlot(la);
    if (l1.state[slot] !== 0) cost += this.evictL1(core, slot, t);
    // SCU snoop of the other L1s: they share one geometry, so the line's set and tag are the same in each.
    let snooped = 0;
    const set = l1.setOf(la);
    const tag = l1.tagOf(la);
    const valid = this.l1Valid;
    for (let o = 0; o < this.ncores; o++) {
      if (o === core || valid[o] === 0) continue;
      const os = this.l1d[o]!.lookupSetTag(set, tag);
      if (os >= 0) snooped |= this.snoopHit(core, slot, o, os, la, t, forWrite, snooped);
    }
    const supplied = (snooped & SNOOP_SUPPLIED) !== 0;
    const shared = (snooped & SNOOP_SHARED) !== 0;
    if (supplied) {
      cost += this.cpuCfg.scuTransferCycles;
      this.stats.scuTransfers++;
    } else {
      const s2 = this.l2.fetchLine(la, t, speculative);
      l1.copyLineFrom(slot, this.l2.cache, s2);
      if (this.vp !== null) this.vp.copyLine(this.vp.l1Line0[core]! + slot, this.vp.l2Line0 + s2);
      cost += this.l2.lastCost;
    }
    // The slot is invalid here (a free way, or the victim evicted above).
    valid[core]!++;
    l1.install(slot, la, forWrite ? MESI_M : shared ? MESI_S : MESI_E);
    this.history.record(la, speculative ? LineEventKind.speculativeFill : LineEventKind.fill, 1, core, t);
    this.missCost = cost;
    return slot;
  }

  /**
   * Core `o`'s L1 holds `la` in slot `os` while `core` misses on it into `slot`: the first such copy supplies
   * the data; a write takes the line from every copy (read-for-ownership), a read leaves them Shared
   * (written back first if dirty). Returns SNOOP_SUPPLIED and SNOOP_SHARED bits to OR into `snooped`.
   * (Out of l1Fill: the miss path V8 inlines stays small.)
   */
  private snoopHit(core: number, slot: number, o: number, os: number, la: number, t: Ps, forWrite: boolean, snooped: number): number {
    const other = this.l1d[o]!;
    let bits = 0;
    if ((snooped & SNOOP_SUPPLIED) === 0) {
      this.l1d[core]!.copyLineFrom(slot, other, os);
      if (this.vp !== null) this.vp.copyLine(this.vp.l1Line0[core]! + slot, this.vp.l1Line0[o]! + os);
      bits = SNOOP_SUPPLIED;
    }
    if (forWrite) {
      // Read-for-ownership: dirty data moves with the line, the other copy goes away.
      other.state[os] = 0;
      this.l1Valid[o]!--;
      this.stats.scuInvalidations++;
    } else {
      if (other.state[os]! & LINE_DIRTY) this.l1WriteBack(o, os, la, t);
      other.state[os] = MESI_S;
      bits |= SNOOP_SHARED;
    }
    return bits;
  }

  /** Invalidates the copies of `la` in the other L1s (they are clean Shared copies). */
  private invalidateOthers(core: number, la: number): number {
    for (let o = 0; o < this.ncores; o++) {
      if (o === core) continue;
      const other = this.l1d[o]!;
      const os = other.lookup(la);
      if (os >= 0) {
        other.state[os] = 0;
        this.l1Valid[o]!--;
        this.stats.scuInvalidations++;
      }
    }
    return this.cpuCfg.scuInvalidateCycles;
  }

  // ------------------------------------------------------------- CPU accesses

  /**
   * dst[dstOff..] = the line in `slot`. When dst is word-aligned (`dstWords` is its 32-bit view, see
   * wordsOf) the few words move directly: cheaper than a TypedArray.set call for one line.
   */
  private loadLine(l1: Cache, slot: number, dst: Uint8Array, dstOff: number, dstWords: Int32Array | null): void {
    if (dstWords !== null && (dstOff & 3) === 0) {
      const from = l1.words;
      const to = dstWords;
      const n = this.lb >>> 2;
      const s0 = slot * n;
      const d0 = dstOff >>> 2;
      for (let k = 0; k < n; k++) to[d0 + k] = from[s0 + k]!;
    } else {
      dst.set(l1.lineView(slot), dstOff);
    }
  }

  /** A 32-bit view of dst's bytes (index 0 = dst[0]) when dst starts on a word boundary, else null. */
  private wordsOf(dst: Uint8Array): Int32Array | null {
    if (dst === this.scratch) return this.scratchWords;
    if ((dst.byteOffset & 3) !== 0) return null;
    return new Int32Array(dst.buffer, dst.byteOffset, dst.length >>> 2);
  }

  /** l1.data[dstOff, +n) = src[srcOff, +n); short word-aligned runs from the scratch page without a subarray. */
  private storeRun(l1: Cache, src: Uint8Array, srcOff: number, dstOff: number, n: number): void {
    if (src === this.scratch && n <= SHORT_RUN && ((srcOff | dstOff | n) & 3) === 0) {
      const from = this.scratchWords;
      const to = l1.words;
      const s0 = srcOff >>> 2;
      const d0 = dstOff >>> 2;
      for (let k = 0, m = n >>> 2; k < m; k++) to[d0 + k] = from[s0 + k]!;
    } else {
      l1.data.set(src.subarray(srcOff, srcOff + n), dstOff);
    }
  }

  /**
   * `count` CPU loads of `len` bytes at pa, pa + stride, ... into dst at dstOff, dstOff + len, ..., one
   * after the other on `core`: each load's cycles are charged to the core (CpuCore.exec) before the next
   * begins, exactly as `count` cpuRead calls each followed by exec (a task scanning line headers makes
   * ~100,000 such loads per simulated 2 s). Returns the cycles of all of them.
   */
  cpuReadStrided(core: number, pa: number, stride: number, count: number, len: number, dst: Uint8Array, dstOff: number, type: MemType = 'normal-wb'): number {
    if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(stride) || stride < 0) {
      throw new MemoryArgumentError(`MemorySystem.cpuReadStrided: expected integer count and stride >= 0, got ${count} and ${stride}`);
    }
    if (count === 0) return 0;
    // The addresses the loads span, and the bytes they fill.
    this.check('cpuReadStrided', core, pa, (count - 1) * stride + len);
    this.check('cpuReadStrided', core, pa, count * len, dst, dstOff);
    const cpu = this.cores[core]!;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const cycles = this.cpuRead(core, pa + i * stride, dst, dstOff + i * len, len, type);
      total += cycles;
      if (cycles > 0) cpu.exec(Math.round(cycles));
    }
    return total;
  }

  /** CPU load of `len` bytes at `pa` into dst; returns CPU cycles (first access's load-to-use latency included). */
  cpuRead(core: number, pa: number, dst: Uint8Array, dstOff: number, len: number, type: MemType = 'normal-wb'): number {
    this.check('cpuRead', core, pa, len, dst, dstOff);
    if (len === 0) return 0;
    this.begin(core);
    if (type === 'normal-wb' && this.inLineLoads && (pa % this.lb) + len <= this.lb) return this.loadInLine(core, pa, dst, dstOff, len);
    const cycles = this.readAt(core, pa, dst, dstOff, len, type, true);
    const vp = this.vp;
    if (vp !== null) {
      // A read of one version (lines a device or a memset wrote) is shown as that number.
      const v = vp.endRead();
      if (v >= 0) vp.uniformObserver!.cpuReadUniform(core, pa, len, v);
      else vp.observer.cpuRead(core, pa, len, vp.read, 0);
    }
    return cycles;
  }

  /**
   * A cacheable CPU load inside one line (a header, a field, a word: most loads), shown to the observer:
   * readAt's loop for its one line, with the line's versions read straight from its uniform mark or
   * plane (the same cycles, state, history and observer calls as readAt then cpuRead's report).
   */
  private loadInLine(core: number, pa: number, dst: Uint8Array, dstOff: number, len: number): number {
    const lb = this.lb;
    const la = pa - (pa % lb);
    const l1 = this.l1d[core]!;
    const bpc = this.cpuCfg.l1BytesPerCycle;
    this.noteAccess(core, pa);
    let cycles = this.cpuCfg.l1LoadToUseCycles - 1 + this.tlbCost(core, pa, len);
    let slot = l1.lookup(la);
    if (slot < 0) {
      slot = this.l1Fill(core, la, this.at(cycles), false, false);
      cycles += this.missCost + Math.ceil(len / bpc);
    } else {
      this.stats.hits++;
      l1.touch(slot);
      cycles += Math.ceil(len / bpc);
    }
    const src = slot * lb + (pa - la);
    copyBytes(dst, dstOff, l1.data, src, len);
    const vp = this.vp;
    if (vp !== null) {
      const v = vp.uniform[vp.l1Line0[core]! + slot]!;
      if (v >= 0 && vp.uniformObserver !== null) vp.uniformObserver.cpuReadUniform(core, pa, len, v);
      else this.showLoadPerByte(vp, core, pa, src, len);
    }
    return cycles;
  }

  /** loadInLine's report of a line without one version: per byte, from the line's plane (or its one version spelled out, for an observer that wants bytes). */
  private showLoadPerByte(vp: VersionPlanes, core: number, pa: number, src: number, len: number): void {
    vp.beginRead(len, false);
    vp.readRange(vp.l1Base[core]! + src, len, 0);
    vp.observer.cpuRead(core, pa, len, vp.read, 0);
  }

  /**
   * Reads into dst; with an observer attached, the versions read land in vp.read[0, len), or with
   * `oneVersionOk` may be kept as one version (the caller then asks vp.endRead).
   */
  private readAt(core: number, pa: number, dst: Uint8Array, dstOff: number, len: number, type: MemType, oneVersionOk = false): number {
    const vp = this.vp;
    if (vp !== null) vp.beginRead(len, oneVersionOk && type === 'normal-wb');
    if (type !== 'normal-wb') return this.uncachedRead(core, pa, dst, dstOff, len, type);
    // Offset of core's L1 plane in vp.cachePlanes (-1: no observer).
    const l1v = vp !== null ? vp.l1Base[core]! : -1;
    this.noteAccess(core, pa);
    const lb = this.lb;
    const l1 = this.l1d[core]!;
    const bpc = this.cpuCfg.l1BytesPerCycle;
    // Cycles to move one whole line: most lines of a long read (one division per read, not per line).
    const lineCycles = Math.ceil(lb / bpc);
    let cycles = this.cpuCfg.l1LoadToUseCycles - 1 + this.tlbCost(core, pa, len);
    const end = pa + len;
    let pos = pa;
    let la = pa - (pa % lb);
    // Pending run of hits contiguous in the slab: [runSrc, runSrc + runLen) → dst at runDst.
    let runSrc = 0;
    let runLen = 0;
    let runDst = 0;
    let prevSlot = -2;
    // 32-bit view of dst for whole-line refills, made on the first one.
    let dstWords: Int32Array | null | undefined;
    while (pos < end) {
      const lineEnd = la + lb;
      const n = (lineEnd < end ? lineEnd : end) - pos;
      let slot = l1.lookup(la);
      if (slot < 0) {
        if (runLen > 0) {
          copyBytes(dst, runDst, l1.data, runSrc, runLen);
          if (l1v >= 0) vp!.readRange(l1v + runSrc, runLen, runDst - dstOff);
          runLen = 0;
        }
        slot = this.l1Fill(core, la, this.at(cycles), false, false);
        cycles += this.missCost + (n === lb ? lineCycles : Math.ceil(n / bpc));
        if (n === lb) {
          // A whole refilled line: copy through its precomputed view (no allocation), no run.
          if (dstWords === undefined) dstWords = this.wordsOf(dst);
          this.loadLine(l1, slot, dst, dstOff + (pos - pa), dstWords);
          if (l1v >= 0) vp!.readLine(vp!.l1Line0[core]! + slot, pos - pa);
          prevSlot = -2;
          pos += n;
          la = lineEnd;
          continue;
        }
      } else {
        this.stats.hits++;
        l1.touch(slot);
        cycles += n === lb ? lineCycles : Math.ceil(n / bpc);
      }
      const src = slot * lb + (pos - la);
      if (runLen > 0 && slot === prevSlot + 1) {
        runLen += n;
      } else {
        if (runLen > 0) {
          copyBytes(dst, runDst, l1.data, runSrc, runLen);
          if (l1v >= 0) vp!.readRange(l1v + runSrc, runLen, runDst - dstOff);
        }
        runSrc = src;
        runLen = n;
        runDst = dstOff + (pos - pa);
      }
      prevSlot = slot;
      pos += n;
      la = lineEnd;
    }
    if (runLen > 0) {
      copyBytes(dst, runDst, l1.data, runSrc, runLen);
      if (l1v >= 0) vp!.readRange(l1v + runSrc, runLen, runDst - dstOff);
    }
    return cycles;
  }

  /** CPU store of `len` bytes from src at `pa`; returns CPU cycles. */
  cpuWrite(core: number, pa: number, src: Uint8Array, srcOff: number, len: number, type: MemType = 'normal-wb'): number {
    this.check('cpuWrite', core, pa, len, src, srcOff);
    if (len === 0) return 0;
    this.begin(core);
    this.stampCpuWrite(core, pa, len);
    return this.writeAt(core, pa, src, srcOff, len, type);
  }

  private writeAt(core: number, pa: number, src: Uint8Array, srcOff: number, len: number, type: MemType): number {
    if (type !== 'normal-wb') return this.uncachedWrite(core, pa, src, srcOff, len, type);
    this.noteAccess(core, pa);
    const lb = this.lb;
    const l1 = this.l1d[core]!;
    const versions = this.vp !== null;
    const bpc = this.cpuCfg.l1BytesPerCycle;
    let cycles = this.tlbCost(core, pa, len);
    const end = pa + len;
    let pos = pa;
    let la = pa - (pa % lb);
    let runDstOff = 0;
    let runLen = 0;
    let runSrc = 0;
    let prevSlot = -2;
    while (pos < end) {
      const lineEnd = la + lb;
      const n = (lineEnd < end ? lineEnd : end) - pos;
      let slot = l1.lookup(la);
      if (slot >= 0 && l1.state[slot] === MESI_M) {
        this.stats.hits++;
        l1.touch(slot);
      } else {
        if (runLen > 0) {
          this.storeRun(l1, src, runSrc, runDstOff, runLen);
          if (versions) this.writeL1Versions(core, runDstOff, runSrc, runLen);
          runLen = 0;
        }
        slot = slot < 0 ? this.l1Fill(core, la, this.at(cycles), true, false) : this.l1Line(core, la, this.at(cycles), true);
        cycles += this.missCost;
      }
      const off = slot * lb + (pos - la);
      if (runLen > 0 && slot === prevSlot + 1) {
        runLen += n;
      } else {
        if (runLen > 0) {
          this.storeRun(l1, src, runSrc, runDstOff, runLen);
          if (versions) this.writeL1Versions(core, runDstOff, runSrc, runLen);
        }
        runDstOff = off;
        runLen = n;
        runSrc = srcOff + (pos - pa);
      }
      prevSlot = slot;
      cycles += Math.ceil(n / bpc);
      pos += n;
      la = lineEnd;
    }
    if (runLen > 0) {
      this.storeRun(l1, src, runSrc, runDstOff, runLen);
      if (versions) this.writeL1Versions(core, runDstOff, runSrc, runLen);
    }
    return cycles;
  }

  /** memset: fills `len` bytes at `pa` with `byte`; returns CPU cycles. */
  cpuFill(core: number, pa: number, len: number, byte: number, type: MemType = 'normal-wb'): number {
    this.check('cpuFill', core, pa, len);
    if (len === 0) return 0;
    this.begin(core);
    this.stampCpuWrite(core, pa, len);
    if (type !== 'normal-wb') {
      // Uncached fills go through the scratch page, 4 KiB at a time.
      this.scratch.fill(byte & 0xff);
      for (let done = 0; done < len; ) {
        const n = Math.min(len - done, this.scratch.length);
        this.base += this.uncachedWrite(core, pa + done, this.scratch, 0, n, type);
        done += n;
      }
      return this.base;
    }
    this.noteAccess(core, pa);
    const lb = this.lb;
    const l1 = this.l1d[core]!;
    const vp = this.vp;
    let cycles = this.tlbCost(core, pa, len);
    const end = pa + len;
    for (let pos = pa, la = pa - (pa % lb); pos < end; la += lb) {
      const lineEnd = la + lb;
      const n = (lineEnd < end ? lineEnd : end) - pos;
      const slot = this.l1Line(core, la, this.at(cycles), true);
      cycles += this.missCost + Math.ceil(n / this.cpuCfg.l1BytesPerCycle);
      const off = slot * lb + (pos - la);
      l1.data.fill(byte, off, off + n);
      if (vp !== null) vp.writeConst(vp.l1Base[core]! + off, n, this.wvConst);
      pos += n;
    }
    return cycles;
  }

  /** memcpy from srcPa to dstPa (each with its memory type); returns CPU cycles. */
  cpuCopy(core: number, dstPa: number, srcPa: number, len: number, dstType: MemType = 'normal-wb', srcType: MemType = 'normal-wb'): number {
    this.check('cpuCopy', core, dstPa, len);
    this.check('cpuCopy', core, srcPa, len);
    if (len === 0) return 0;
    this.begin(core);
    const chunk = this.scratch.length;
    for (let done = 0; done < len; ) {
      const n = Math.min(len - done, chunk);
      this.base += this.readAt(core, srcPa + done, this.scratch, 0, n, srcType, true);
      const vp = this.vp;
      if (vp !== null) {
        // A copy moves the versions it read: the destination holds the source's writes, not a new one. A
        // chunk of one version (a device-written buffer: a bounce copy) moves as that one number.
        const v = vp.endRead();
        if (v >= 0) {
          vp.uniformObserver!.cpuReadUniform(core, srcPa + done, n, v);
          vp.uniformObserver!.cpuCopiedUniform(core, dstPa + done, n, v);
          this.wvArr = null;
          this.wvConst = v;
        } else {
          vp.observer.cpuRead(core, srcPa + done, n, vp.read, 0);
          vp.observer.cpuCopied(core, dstPa + done, n, vp.read, 0);
          this.wvArr = vp.read;
          this.wvBase = 0;
        }
      }
      this.base += this.writeAt(core, dstPa + done, this.scratch, 0, n, dstType);
      done += n;
    }
    this.wvArr = null;
    return this.base;
  }

  /** Reads the range as the CPU sees it and sums it in 32-bit words (result in lastChecksum); returns CPU cycles. */
  cpuChecksum(core: number, pa: number, len: number, type: MemType = 'normal-wb'): number {
    this.check('cpuChecksum', core, pa, len);
    this.begin(core);
    let sum = 0;
    const chunk = this.scratch.length;
    for (let done = 0; done < len; ) {
      const n = Math.min(len - done, chunk);
      this.base += this.readAt(core, pa + done, this.scratch, 0, n, type);
      if (this.vp !== null) this.vp.observer.cpuRead(core, pa + done, n, this.vp.read, 0);
      const words = n >>> 2;
      const w = this.scratchWords;
      for (let i = 0; i < words; i++) sum = (sum + w[i]!) | 0;
      for (let i = words * 4; i < n; i++) sum = (sum + this.scratch[i]!) | 0;
      // The add loop costs about one cycle per word on top of the loads.
      this.base += words;
      done += n;
    }
    this.lastChecksum = sum >>> 0;
    return this.base;
  }

  private uncachedRead(core: number, pa: number, dst: Uint8Array, dstOff: number, len: number, type: MemType): number {
    const buf = this.wc[core]!;
    let cycles = 0;
    // A core observes its own buffered stores: drain them before reading the same line.
    if (buf.overlaps(pa, len)) cycles += this.drainWc(core, this.at(0));
    (type === 'device' ? this.deviceMem : this.mem).read(pa, dst, dstOff, len);
    if (this.vp !== null) this.vp.dramRead(pa, this.vp.read, 0, len);
    cycles += this.tlbCost(core, pa, len);
    return cycles + this.uncachedTime(pa, len, false, type, cycles);
  }

  /** Timing of an uncached access: one bus transaction per line (per access for Device memory). */
  private uncachedTime(pa: number, len: number, isWrite: boolean, type: MemType, startCycles: number): number {
    let cycles = startCycles;
    const fixed = this.cpuCfg.memFixedLatencyPs;
    if (type === 'device') {
      const step = this.cpuCfg.deviceAccessBytes;
      for (let a = pa; a < pa + len; a += step) {
        const t = this.at(cycles);
        const done = t + this.timing.accessDelay(a, Math.min(step, pa + len - a), isWrite, t) + fixed;
        cycles += this.cyclesFor(done - t);
      }
      return cycles - startCycles;
    }
    const lb = this.lb;
    for (let pos = pa, la = pa - (pa % lb); pos < pa + len; la += lb) {
      const n = Math.min(la + lb, pa + len) - pos;
      const t = this.at(cycles);
      const done = t + this.timing.accessDelay(pos, n, isWrite, t);
      const beats = Math.ceil(n / 8);
      // Loads wait for the data; stores are posted through the store buffer.
      cycles += isWrite ? beats * this.cpuCfg.uncachedBeatCycles : this.cyclesFor(done + fixed - t) + (beats - 1) * this.cpuCfg.uncachedBeatCycles;
      pos += n;
    }
    return cycles - startCycles;
  }

  private uncachedWrite(core: number, pa: number, src: Uint8Array, srcOff: number, len: number, type: MemType): number {
    const tlb = this.tlbCost(core, pa, len);
    if (type !== 'write-combine') {
      (type === 'device' ? this.deviceMem : this.mem).write(pa, src, srcOff, len);
      if (this.vp !== null) this.writeVersionsToDram(pa, srcOff, len);
      return tlb + this.uncachedTime(pa, len, true, type, tlb);
    }
    const buf = this.wc[core]!;
    const lb = this.lb;
    let cycles = tlb;
    for (let pos = pa, la = pa - (pa % lb); pos < pa + len; la += lb) {
      const n = Math.min(la + lb, pa + len) - pos;
      if (!buf.empty && buf.lineAddr !== la) cycles += this.drainWc(core, this.at(cycles));
      if (buf.versions !== null) this.writeVersions(buf.versions, pos - la, srcOff + (pos - pa), n);
      const full = buf.merge(la, pos - la, src, srcOff + (pos - pa), n);
      cycles += Math.ceil(n / 8);
      if (full) cycles += this.drainWc(core, this.at(cycles));
      pos += n;
    }
    return cycles;
  }

  private drainWc(core: number, t: Ps): number {
    const buf = this.wc[core]!;
    if (buf.empty) return 0;
    this.drainCore = core;
    this.drainTime = t;
    buf.drain(this.drainWrite);
    this.stats.wcDrains++;
    return this.cpuCfg.wcDrainCycles;
  }

  /** Bytes still held in `core`'s write-combine buffer (not yet visible in DRAM). */
  pendingWriteCombine(core: number): number {
    const buf = this.wc[core]!;
    return buf.empty ? 0 : buf.mask.reduce((a, b) => a + b, 0);
  }

  /** wmb()/dma_wmb(): drains the core's write-combine buffer, then a barrier; returns CPU cycles. */
  wmb(core: number): number {
    this.check('wmb', core, 0, 0);
    this.begin(core);
    return this.drainWc(core, this.t0) + this.l1Maint.barrierCycles;
  }

  // ------------------------------------------------------------ device accesses

  /** A DMA master reads memory; `mode` decides which caches it sees. Functional only. */
  deviceRead(mode: CoherencyMode, pa: number, dst: Uint8Array, dstOff: number, len: number, master = 'device'): void {
    this.check('deviceRead', 0, pa, len, dst, dstOff);
    const vp = this.vp;
    if (vp !== null) vp.beginRead(len, true);
    if (mode === 'none') {
      this.mem.read(pa, dst, dstOff, len);
      if (vp !== null) {
        vp.dramToRead(pa, 0, len);
        this.showDeviceRead(vp, master, pa, len);
      }
      return;
    }
    if (mode !== 'acp' && mode !== 'ace-lite') throw new MemoryArgumentError(`MemorySystem.deviceRead: unknown coherency mode '${String(mode)}'`);
    this.snoopingDeviceRead(vp, pa, dst, dstOff, len, master);
  }

  /**
   * deviceRead through an ACP or ACE-Lite port: each line from the L1 or L2 that holds it, else DRAM.
   * Its own method so that deviceRead's non-coherent path stays small enough for V8 to inline.
   */
  private snoopingDeviceRead(vp: VersionPlanes | null, pa: number, dst: Uint8Array, dstOff: number, len: number, master: string): void {
    const lb = this.lb;
    const end = pa + len;
    let runStart = -1;
    for (let pos = pa, la = pa - (pa % lb); pos < end; la += lb) {
      const n = Math.min(la + lb, end) - pos;
      const off = pos - la;
      const d = dstOff + (pos - pa);
      let from: Uint8Array | null = null;
      let fromOff = 0;
      // Offset of the versions of `from` in vp.cachePlanes.
      let fromV = 0;
      for (let c = 0; c < this.ncores && from === null; c++) {
        const s = this.l1d[c]!.lookup(la);
        if (s >= 0) {
          from = this.l1d[c]!.data;
          fromOff = s * lb + off;
          if (vp !== null) fromV = vp.l1Base[c]! + fromOff;
        }
      }
      if (from === null) {
        const s2 = this.l2.peek(la);
        if (s2 >= 0) {
          from = this.l2.cache.data;
          fromOff = s2 * lb + off;
          if (vp !== null) fromV = vp.l2Base + fromOff;
        }
      }
      if (from === null) {
        if (runStart < 0) runStart = pos;
      } else {
        if (runStart >= 0) {
          this.mem.read(runStart, dst, dstOff + (runStart - pa), pos - runStart);
          if (vp !== null) vp.dramToRead(runStart, runStart - pa, pos - runStart);
          runStart = -1;
        }
        dst.set(from.subarray(fromOff, fromOff + n), d);
        if (vp !== null) vp.readRange(fromV, n, pos - pa);
      }
      pos += n;
    }
    if (runStart >= 0) {
      this.mem.read(runStart, dst, dstOff + (runStart - pa), end - runStart);
      if (vp !== null) vp.dramToRead(runStart, runStart - pa, end - runStart);
    }
    if (vp !== null) this.showDeviceRead(vp, master, pa, len);
  }

  /** Shows the observer a device read's versions: one number when the read kept one version. */
  private showDeviceRead(vp: VersionPlanes, master: string, pa: number, len: number): void {
    const v = vp.endRead();
    if (v >= 0) vp.uniformObserver!.deviceReadUniform(master, pa, len, v);
    else vp.observer.deviceRead(master, pa, len, vp.read, 0);
  }

  /**
   * deviceWrite of bytes [sourceOff, +len) of a rule (ByteSource): the same coherency handling, versions and
   * observer calls. A non-coherent write hands DRAM the source, which may keep it instead of the bytes.
   */
  deviceWriteFrom(mode: CoherencyMode, pa: number, len: number, source: ByteSource, sourceOff: number, master = 'device'): void {
    this.check('deviceWrite', 0, pa, len);
    if (mode !== 'none') {
      // Through the caches the bytes move as bytes: make them here.
      this.deviceWrite(mode, pa, sourceBytes(source, sourceOff, len, this.produced), 0, len, master);
      return;
    }
    const version = this.deviceVersion(master, pa, len);
    writeFromSource(this.mem, pa, len, source, sourceOff, this.produced);
    if (this.vp !== null) this.vp.dramFill(pa, len, version);
  }

  /** The version a device write of [pa, +len) stamps (0 with no observer). */
  private deviceVersion(master: string, pa: number, len: number): number {
    return this.vp !== null ? this.vp.observer.deviceWriteVersion(master, pa, len) : 0;
  }

  /** A DMA master writes memory; `mode` decides which caches are kept coherent. Functional only. */
  deviceWrite(mode: CoherencyMode, pa: number, src: Uint8Array, srcOff: number, len: number, master = 'device'): void {
    this.check('deviceWrite', 0, pa, len, src, srcOff);
    const vp = this.vp;
    const version = this.deviceVersion(master, pa, len);
    if (mode === 'none') {
      this.mem.write(pa, src, srcOff, len);
      if (vp !== null) vp.dramFill(pa, len, version);
      return;
    }
    if (mode !== 'acp' && mode !== 'ace-lite') throw new MemoryArgumentError(`MemorySystem.deviceWrite: unknown coherency mode '${String(mode)}'`);
    const t = this.time.now;
    const lb = this.lb;
    const end = pa + len;
    let runStart = -1;
    for (let pos = pa, la = pa - (pa % lb); pos < end; la += lb) {
      const n = Math.min(la + lb, end) - pos;
      const partial = n !== lb;
      // Clean (if the line is only partly overwritten) and invalidate the line in every L1.
      for (let c = 0; c < this.ncores; c++) {
        const l1 = this.l1d[c]!;
        const s = l1.lookup(la);
        if (s < 0) continue;
        if (partial && l1.state[s]! & LINE_DIRTY) this.l1WriteBack(c, s, la, t);
        l1.state[s] = 0;
        this.l1Valid[c]!--;
        this.history.record(la, LineEventKind.invalidate, 1, c, t);
      }
      if (mode === 'acp') {
        // ACP writes go through L2 (merged into a present line, else to DRAM).
        this.l2.vFromLine = -1;
        this.l2.vConst = version;
        this.l2.writePartial(la, pos - la, src, srcOff + (pos - pa), n, t);
      } else {
        const s2 = this.l2.peek(la);
        if (s2 >= 0) {
          if (partial && this.l2.cache.state[s2]! & LINE_DIRTY) this.l2.evictSlot(s2, t);
          else this.l2.cache.state[s2] = 0;
        }
        if (runStart < 0) runStart = pos;
        pos += n;
        continue;
      }
      if (runStart >= 0) {
        this.mem.write(runStart, src, srcOff + (runStart - pa), pos - runStart);
        if (vp !== null) vp.dramFill(runStart, pos - runStart, version);
        runStart = -1;
      }
      pos += n;
    }
    if (runStart >= 0) {
      this.mem.write(runStart, src, srcOff + (runStart - pa), end - runStart);
      if (vp !== null) vp.dramFill(runStart, end - runStart, version);
    }
  }

  // ------------------------------------------------------------ L1 maintenance

  /** An invalidate drops core's dirty L1 line in `slot`: shows the observer what stays visible below (L2's copy, else DRAM). */
  private showL1DiscardDirty(vp: VersionPlanes, core: number, slot: number, la: number): void {
    const lb = this.lb;
    const s2 = this.l2.peek(la);
    vp.materialise(vp.l1Line0[core]! + slot);
    if (s2 >= 0) vp.materialise(vp.l2Line0 + s2);
    if (s2 >= 0) vp.observer.discardDirty(la, lb, vp.l1[core]!, slot * lb, vp.l2, s2 * lb, 'L1', this.invLo, this.invHi);
    else {
      vp.dramRead(la, vp.below, 0, lb);
      vp.observer.discardDirty(la, lb, vp.l1[core]!, slot * lb, vp.below, 0, 'L1', this.invLo, this.invHi);
    }
  }

  /** Applies `op` to one L1 slot; returns write-back cycles. */
  private l1OpSlot(op: number, core: number, slot: number, t: Ps): number {
    const l1 = this.l1d[core]!;
    const st = l1.state[slot]!;
    if (st === 0) return 0;
    const la = l1.lineAddr(slot);
    let cycles = 0;
    if (op !== OP_INV && st & LINE_DIRTY) {
      this.l1WriteBack(core, slot, la, t);
      this.stats.linesCleaned++;
      cycles = this.l1Maint.writebackCycles;
    } else if (op === OP_INV && st & LINE_DIRTY && this.vp !== null) {
      this.showL1DiscardDirty(this.vp, core, slot, la);
    }
    if (op === OP_CLEAN) {
      this.history.record(la, LineEventKind.clean, 1, core, t);
      return cycles;
    }
    l1.state[slot] = 0;
    this.l1Valid[core]!--;
    this.stats.linesInvalidated++;
    this.history.record(la, op === OP_INV ? LineEventKind.invalidate : LineEventKind.cleanInvalidate, 1, core, t);
    return cycles;
  }

  /**
   * One by-MVA op per line over n lines from firstLa, broadcast to every L1. Affected (line, core) pairs
   * are processed in (address, core) order; when the range has more lines than an L1 has slots the host
   * walks the caches instead of the range, with identical results. Returns cycles (from `base`).
   */
  private l1Lines(op: number, firstLa: number, n: number, base: number): number {
    const per = this.l1Maint.lineOpCycles;
    const lb = this.lb;
    let wb = 0;
    const slots = this.l1d[0]!.slots;
    // Per-line lookups cost ways × cores compares each; a walk visits every slot of every L1 once.
    if (n * this.l1d[0]!.ways <= slots) {
      for (let i = 0, la = firstLa; i < n; i++, la += lb) {
        for (let c = 0; c < this.ncores; c++) {
          const s = this.l1d[c]!.lookup(la);
          if (s >= 0) wb += this.l1OpSlot(op, c, s, this.at(base + (i + 1) * per + wb));
        }
      }
    } else {
      // Mark (line offset, core) pairs present in a bitmap (bit i * cores + c), then visit the set bits in
      // ascending order: the (address, core) order a sort would give, in O(slots + n * cores / 32).
      const end = firstLa + n * lb;
      const nc = this.ncores;
      const total = n * nc;
      const words = (total + 31) >>> 5;
      if (this.rangeBits.length < words) this.rangeBits = new Uint32Array(words);
      const bits = this.rangeBits;
      if (this.rangeSlots.length < total) this.rangeSlots = new Int32Array(Math.max(total, 2 * this.rangeSlots.length));
      const slotAt = this.rangeSlots;
      let lo = total;
      let hi = -1;
      for (let c = 0; c < nc; c++) {
        if (this.l1Valid[c] === 0) continue;
        const l1 = this.l1d[c]!;
        const state = l1.state;
        const tags = l1.tags;
        const wayBytes = l1.wayBytes;
        const setMask = l1.setMask;
        // Tags outside [tagLo, tagHi] cannot hold a line of the range: one compare rejects them.
        const tagLo = Math.floor(firstLa / wayBytes);
        const tagHi = Math.floor((end - 1) / wayBytes);
        const tagSpan = tagHi - tagLo;
        for (let s = 0; s < slots; s++) {
          // Unsigned compare: one test for tagLo <= tag <= tagHi; most slots of a full cache fail it.
          if ((tags[s]! - tagLo) >>> 0 > tagSpan || state[s] === 0) continue;
          const tag = tags[s]!;
          const la = tag * wayBytes + (s & setMask) * lb;
          if (la < firstLa || la >= end) continue;
          const bit = ((la - firstLa) / lb) * nc + c;
          const word = bits[bit >>> 5]!;
          const mask = 1 << (bit & 31);
          // The first slot seen for a line is its lowest valid way: the one lookup(la) would return.
          if ((word & mask) === 0) {
            bits[bit >>> 5] = word | mask;
            slotAt[bit] = s;
          }
          if (bit < lo) lo = bit;
          if (bit > hi) hi = bit;
        }
      }
      if (hi >= 0) {
        try {
          for (let wi = lo >>> 5, wEnd = hi >>> 5; wi <= wEnd; wi++) {
            let word = bits[wi]!;
            while (word !== 0) {
              const bit = wi * 32 + 31 - Math.clz32(word & -word);
              word &= word - 1;
              const c = bit % nc;
              const i = (bit - c) / nc;
              // l1OpSlot changes no other L1 slot, so the slot found by the walk still holds the line.
              wb += this.l1OpSlot(op, c, slotAt[bit]!, this.at(base + (i + 1) * per + wb));
            }
          }
        } finally {
          bits.fill(0, lo >>> 5, (hi >>> 5) + 1);
        }
      }
    }
    if (this.l1Maint.reachesL2 === true) {
      wb += this.l2.pocLines(op === OP_CLEAN ? 'clean' : op === OP_INV ? 'inv' : 'flush', firstLa, n, this.at(base + n * per + wb));
    }
    this.stats.maintOps += n;
    this.stats.maintBytes += n * lb;
    return n * per + wb;
  }

  private l1Done(cycles: number): number {
    this.stats.maintCycles += cycles;
    return cycles;
  }

  /** v7_dma_inv_range: partial edge lines cleaned+invalidated, inner lines invalidated, dsb. */
  l1InvRange(core: number, pa: number, len: number): number {
    this.check('l1InvRange', core, pa, len);
    if (len === 0) return 0;
    this.begin(core);
    return this.l1Done(this.invRangeAt(pa, len));
  }

  private invRangeAt(pa: number, len: number): number {
    this.invLo = pa;
    this.invHi = pa + len;
    try {
      return this.invRangeLines(pa, len);
    } finally {
      this.invLo = this.invHi = 0;
    }
  }

  private invRangeLines(pa: number, len: number): number {
    const lb = this.lb;
    let start = pa;
    let end = pa + len;
    let cycles = 0;
    const alignedStart = start - (start % lb);
    if (start % lb !== 0) {
      start = alignedStart;
      cycles += this.l1Lines(OP_FLUSH, start, 1, cycles);
      start += lb;
    }
    if (end % lb !== 0) {
      end -= end % lb;
      cycles += this.l1Lines(OP_FLUSH, end, 1, cycles);
    }
    if (this.l1Maint.invRangeStyle === '2011') start = alignedStart;
    if (end > start) cycles += this.l1Lines(OP_INV, start, (end - start) / lb, cycles);
    return cycles + this.l1Maint.barrierCycles;
  }

  /** v7_dma_clean_range: clean every line touching the range, dsb. */
  l1CleanRange(core: number, pa: number, len: number): number {
    this.check('l1CleanRange', core, pa, len);
    if (len === 0) return 0;
    this.begin(core);
    return this.l1Done(this.rangeAt(OP_CLEAN, pa, len));
  }

  /** v7_dma_flush_range: clean+invalidate every line touching the range, dsb. */
  l1FlushRange(core: number, pa: number, len: number): number {
    this.check('l1FlushRange', core, pa, len);
    if (len === 0) return 0;
    this.begin(core);
    return this.l1Done(this.rangeAt(OP_FLUSH, pa, len));
  }

  private rangeAt(op: number, pa: number, len: number): number {
    const start = pa - (pa % this.lb);
    const n = Math.ceil((pa + len - start) / this.lb);
    return this.l1Lines(op, start, n, 0) + this.l1Maint.barrierCycles;
  }

  /** v7_dma_map_area: FROM_DEVICE → invalidate range; TO_DEVICE / BIDIRECTIONAL → clean range. L1 only. */
  dmaMapArea(core: number, pa: number, len: number, dir: DmaDirLike): number {
    const d = dirValue(dir, 'MemorySystem.dmaMapArea');
    return d === SocDmaDir.FROM_DEVICE ? this.l1InvRange(core, pa, len) : this.l1CleanRange(core, pa, len);
  }

  /** v7_dma_unmap_area: FROM_DEVICE / BIDIRECTIONAL → invalidate range again; TO_DEVICE → nothing. L1 only. */
  dmaUnmapArea(core: number, pa: number, len: number, dir: DmaDirLike): number {
    const d = dirValue(dir, 'MemorySystem.dmaUnmapArea');
    return d === SocDmaDir.TO_DEVICE ? 0 : this.l1InvRange(core, pa, len);
  }

  /** __dma_page_cpu_to_dev: L1 map-area, then the outer cache (invalidate for FROM_DEVICE, clean otherwise). */
  dmaPageCpuToDev(core: number, pa: number, len: number, dir: DmaDirLike): number {
    const d = dirValue(dir, 'MemorySystem.dmaPageCpuToDev');
    this.check('dmaPageCpuToDev', core, pa, len);
    if (len === 0) return 0;
    this.begin(core);
    let cycles = this.l1Done(d === SocDmaDir.FROM_DEVICE ? this.invRangeAt(pa, len) : this.rangeAt(OP_CLEAN, pa, len));
    const t = this.at(cycles);
    cycles += d === SocDmaDir.FROM_DEVICE ? this.l2.invRange(pa, len, t) : this.l2.cleanRange(pa, len, t);
    return cycles;
  }

  /** __dma_page_dev_to_cpu: unless TO_DEVICE, outer invalidate first, then L1 unmap-area (order matters). */
  dmaPageDevToCpu(core: number, pa: number, len: number, dir: DmaDirLike): number {
    const d = dirValue(dir, 'MemorySystem.dmaPageDevToCpu');
    this.check('dmaPageDevToCpu', core, pa, len);
    if (d === SocDmaDir.TO_DEVICE || len === 0) return 0;
    this.begin(core);
    const outer = this.l2.invRange(pa, len, this.t0);
    this.base = outer;
    return outer + this.l1Done(this.invRangeAt(pa, len));
  }

  /** Set/way clean+invalidate of one core's whole L1 (flush_cache_all; not broadcast). */
  l1FlushAll(core: number): number {
    return this.l1AllLocal('l1FlushAll', OP_FLUSH, core);
  }
  l1CleanAll(core: number): number {
    return this.l1AllLocal('l1CleanAll', OP_CLEAN, core);
  }
  l1InvAll(core: number): number {
    return this.l1AllLocal('l1InvAll', OP_INV, core);
  }

  private l1AllLocal(where: string, op: number, core: number): number {
    this.check(where, core, 0, 0);
    this.begin(core);
    const l1 = this.l1d[core]!;
    const per = this.l1Maint.lineOpCycles;
    let wb = 0;
    for (let s = 0; s < l1.slots; s++) {
      if (l1.state[s] !== 0) wb += this.l1OpSlot(op, core, s, this.at((s + 1) * per + wb));
    }
    this.stats.maintOps += l1.slots;
    return this.l1Done(l1.slots * per + wb + this.l1Maint.barrierCycles);
  }

  // --------------------------------------------------------- outer maintenance

  private outerStart(where: string, core: number, pa: number, len: number): Ps {
    this.check(where, core, pa, len);
    this.begin(core);
    return this.t0;
  }

  /** PL310 invalidate by PA (edge lines cleaned+invalidated; never by way). Charged to `core`. */
  outerInvRange(pa: number, len: number, core = 0): number {
    return this.l2.invRange(pa, len, this.outerStart('outerInvRange', core, pa, len));
  }
  /** PL310 clean by PA, or clean-all by way at the threshold. */
  outerCleanRange(pa: number, len: number, core = 0): number {
    return this.l2.cleanRange(pa, len, this.outerStart('outerCleanRange', core, pa, len));
  }
  /** PL310 clean+invalidate by PA, or flush-all by way at the threshold. */
  outerFlushRange(pa: number, len: number, core = 0): number {
    return this.l2.flushRange(pa, len, this.outerStart('outerFlushRange', core, pa, len));
  }
  outerCleanAll(core = 0): number {
    return this.l2.cleanAll(this.outerStart('outerCleanAll', core, 0, 0));
  }
  outerFlushAll(core = 0): number {
    return this.l2.flushAll(this.outerStart('outerFlushAll', core, 0, 0));
  }
  outerCleanIndex(set: number, way: number, core = 0): number {
    return this.l2.cleanIndex(set, way, this.outerStart('outerCleanIndex', core, 0, 0));
  }
  outerCleanInvIndex(set: number, way: number, core = 0): number {
    return this.l2.cleanInvIndex(set, way, this.outerStart('outerCleanInvIndex', core, 0, 0));
  }
  outerSync(): number {
    return this.l2.sync();
  }

  // ------------------------------------------------------- prefetch and evict

  /** A speculative/prefetch fill of the lines of [pa, pa+len) into core's L1 (and L2). Returns the cycles it took. */
  prefetch(core: number, pa: number, len: number): number {
    this.check('prefetch', core, pa, len);
    this.begin(core);
    let cycles = 0;
    const lb = this.lb;
    for (let la = pa - (pa % lb); la < pa + len; la += lb) cycles += this.speculativeFill(core, la, this.at(cycles));
    return cycles;
  }

  /** Fills one line speculatively (no effect if present); returns cycles. Used by the speculation model. */
  speculativeFill(core: number, la: number, t: Ps): number {
    if (this.l1d[core]!.lookup(la) >= 0) return 0;
    this.l1Fill(core, la, t, false, true);
    this.stats.speculativeFills++;
    return this.missCost;
  }

  /** Forces the lines of [pa, pa+len) out of every cache; dirty ones are written back (L1 → L2 → DRAM). */
  evict(pa: number, len: number): void {
    this.check('evict', 0, pa, len);
    const t = this.time.now;
    const lb = this.lb;
    for (let la = pa - (pa % lb); la < pa + len; la += lb) {
      for (let c = 0; c < this.ncores; c++) {
        const s = this.l1d[c]!.lookup(la);
        if (s >= 0) this.evictL1(c, s, t);
      }
      const s2 = this.l2.peek(la);
      if (s2 >= 0) this.l2.evictSlot(s2, t);
    }
  }

  // -------------------------------------------------------------- inspection

  /** Counters of both levels (for the run report / Stats). */
  report(): { l1: L1Stats; l2: OuterCacheStats; l1ValidLines: number[]; l2ValidLines: number } {
    return {
      l1: { ...this.stats },
      l2: { ...this.l2.stats },
      l1ValidLines: this.l1d.map((c) => c.validLines()),
      l2ValidLines: this.l2.cache.validLines(),
    };
  }

  /** Valid lines in core's L1 as the memory system counts them (equals l1d[core].validLines()). */
  l1ValidLines(core: number): number {
    return this.l1Valid[core] ?? 0;
  }

  /** Where the line of `pa` is: per-core MESI states and the L2 state (for tests and the checker). */
  lineState(pa: number): { l1: string[]; l2: 'dirty' | 'clean' | 'absent' } {
    const s2 = this.l2.peek(pa);
    return {
      l1: this.l1d.map((c) => c.mesi(pa)),
      l2: s2 < 0 ? 'absent' : this.l2.cache.state[s2]! & LINE_DIRTY ? 'dirty' : 'clean',
    };
  }

  /** Reads what DRAM holds (no caches involved). */
  peekDram(pa: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.mem.read(pa, dst, dstOff, len);
  }

  /** Whether any cache holds a dirty copy of a line in [pa, pa+len). */
  hasDirty(pa: number, len: number): boolean {
    const lb = this.lb;
    for (let la = pa - (pa % lb); la < pa + len; la += lb) {
      for (const l1 of this.l1d) {
        const s = l1.lookup(la);
        if (s >= 0 && l1.state[s]! & LINE_DIRTY) return true;
      }
      const s2 = this.l2.peek(la);
      if (s2 >= 0 && this.l2.cache.state[s2]! & LINE_DIRTY) return true;
    }
    return false;
  }
}

export { MESI_E, MESI_M, MESI_S };
