import { ClockDomain } from '../../emulator/kernel/index.ts';
import type { Counter, EventLane, EventTarget, Histogram, HistogramSummary, Ps, Simulator } from '../../emulator/kernel/index.ts';
import type { AddressMap, Region } from '../memory/index.ts';
import { BusError } from '../memory/index.ts';
import { DRAM_ARRIVE, DRAM_END, DRAM_STEP } from '../dram/index.ts';
import type { DramTiming } from '../dram/index.ts';

export type MasterId = number;

/** Completion of a timing-path transfer; an object (not a closure) so devices allocate nothing per transfer. */
export interface TransferDone {
  /** The last burst of the transfer completed at `endPs` (== sim.now when called). */
  onTransferDone(endPs: Ps, tag: number): void;
  /** A burst decoded to no region or straddled two. Without this method the BusError is thrown out of the simulation. */
  onTransferError?(err: BusError, tag: number): void;
}

export interface InterconnectConfig {
  /** Clock of the interconnect's data channels. */
  readonly clockHz: number;
  /** Bytes per beat of the shared data channels (after upsizing). */
  readonly widthBytes: number;
  /** Cycles for a request to cross from master to slave (and for the response to cross back). */
  readonly hopLatencyCycles: number;
  /** Fixed access latency of an MMIO slave, in interconnect cycles (default 4). */
  readonly mmioLatencyCycles?: number;
  /** Fixed access latency of an on-chip SRAM, in interconnect cycles (default 2). */
  readonly sramLatencyCycles?: number;
}

export interface MasterConfig {
  readonly name: string;
  /** Bytes per beat of the master's own port (PL330 pdma 4, mdma 8). */
  readonly widthBytes: number;
  /** Beats per burst at most (AXI3 INCR: 16). */
  readonly maxBurstBeats: number;
  /** Bursts the master may have in flight at once. */
  readonly maxOutstanding: number;
  /**
   * Bursts issued per arbitration grant (1..MAX_BURST_GROUP, default 1): consecutive bursts of the head
   * transfer, each reserving port, channel and DRAM as a single burst does, completing under ONE simulator
   * event at the latest burst's end (their in-flight slots free together then). Transaction-level speed for
   * streaming masters; 1 is the exact per-burst model.
   */
  readonly burstGroup?: number;
}

/** Largest burstGroup (the group size rides in the completion event's argument). */
export const MAX_BURST_GROUP = 64;

/** Bad interconnect configuration or request (not a bus error: those are BusError). */
export class InterconnectError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'InterconnectError';
  }
}

export interface MasterReport {
  name: string;
  bytes: number;
  bursts: number;
  transfers: number;
  atomicAccesses: number;
  errors: number;
  waitPs: number;
  latencyPs: HistogramSummary;
}

/** AXI: a burst must not cross a 4 KiB boundary. */
const BOUNDARY = 4096;
const ARBITRATE = -1;
const NONE = -1;
/** Indexes of Interconnect.times (exported for subclasses that override reserve/reserveRun). */
export const T_NOW = 0;
export const T_READY = 1;
export const T_END = 2;
/** Completion event argument: transfer index × GROUP_ARG + bursts in the group. */
const GROUP_ARG = 128;

/**
 * The SoC interconnect, timing only: it moves no data (data moves functionally through caches and
 * DRAM at the times it computes).
 *
 * Timing path (`transfer`): a transfer is split into AXI-like bursts (≤ maxBurstBeats × master width,
 * never crossing 4 KiB), queued per master; the arbiter grants masters round-robin one burst group at a
 * time (burstGroup consecutive bursts of the master's head transfer, default 1), as long as a master has
 * fewer than maxOutstanding bursts in flight (a group takes as many slots as it has bursts, at most the
 * free ones). Each granted burst reserves, in order, the master's port and the shared read or write data
 * channel (separate, as in AXI), crosses the hop, is served by the slave (DramTiming for DRAM regions, a
 * fixed latency for MMIO/SRAM) and its response crosses back; one simulator event fires per group, at the
 * completion of its latest burst, and frees the group's slots (with burstGroup 1: one event per burst, the
 * exact per-burst model). A transfer completes when its last group does. Bursts are granted as soon as
 * a slot is free and reserve resources ahead in time (a reservation model, not a cycle-by-cycle bus),
 * so a later master queues behind bursts already granted.
 *
 * Atomic path (`access`): the same reservations, made immediately and returned as a completion time,
 * for CPU line fills, write-backs and table walks, so CPU traffic and DMA compete for the DRAM.
 */
export class Interconnect implements EventTarget {
  readonly sim: Simulator;
  readonly map: AddressMap;
  readonly dram: DramTiming;
  readonly config: InterconnectConfig;

  private readonly clock: ClockDomain;
  private readonly busWidth: number;
  private readonly hopPs: Ps;
  private readonly mmioPs: Ps;
  private readonly sramPs: Ps;
  /** cyclesToPs(k) for every k a burst can take (≤ BOUNDARY beats): a table read instead of checks and a multiply. */
  private readonly cyclePs: Float64Array;
  /** Shared-channel time of a burst of n bytes (index n ≤ BOUNDARY): cyclePs[ceil(n / busWidth)], no division per burst. */
  private readonly busXferPs: Float64Array;
  /** Per master: its port's time for a burst of n bytes (index n ≤ BOUNDARY), cyclePs[ceil(n / widthBytes)]. */
  private readonly portXferPs: Float64Array[] = [];
  /** The region the last atomic burst decoded to: consecutive line accesses almost always hit it again. */
  private lastRegion: Region | null = null;
  /** Shared data channels: [read, write] free times. */
  private readonly channelFree = new Float64Array(2);
  /**
   * Time registers between the grant/access paths and reserve/reserveRun: request time, the time the
   * burst became eligible, and the completion (ps values passed as arguments or results would be boxed).
   */
  protected readonly times = new Float64Array(3);

  // Masters (indexed by MasterId).
  private readonly names: string[] = [];
  private mWidth = new Int32Array(4);
  private mBurstBytes = new Int32Array(4);
  private mMaxOut = new Int32Array(4);
  private mGroup = new Int32Array(4);
  /** Per master: burst bytes − 1 when a burst is a power of two dividing 4 KiB (groups may go as runs), else −1. */
  private mRunMask = new Int32Array(4);
  /** Per master: DramTiming.streamChunksPerPort of its burst (> 0: runs of whole chunks go by serveStream). */
  private mStreamK = new Int32Array(4);
  /** DRAM port interleave − 1 (a power of two): `bytes & mask` tests whole chunks without a float modulo. */
  private readonly dramChunkMask: number;
  private mOut = new Int32Array(4);
  private mHead = new Int32Array(4).fill(NONE);
  private mTail = new Int32Array(4).fill(NONE);
  /** Per master and direction: its own port's free time (index m * 2 + dir). */
  private mPortFree = new Float64Array(8);
  private mSlotFreedAt = new Float64Array(4);
  private mBytes = new Float64Array(4);
  private mBursts = new Float64Array(4);
  private mTransfers = new Float64Array(4);
  private mAtomic = new Float64Array(4);
  private mErrors = new Float64Array(4);
  private mWait = new Float64Array(4);
  private readonly cErrors: Counter[] = [];
  private readonly hLatency: Histogram[] = [];

  // Transfer records (a pool, grown by doubling; free records are chained through tNext).
  private tMaster = new Int32Array(16);
  private tAddr = new Float64Array(16);
  private tRemaining = new Float64Array(16);
  private tInFlight = new Int32Array(16);
  private tWrite = new Uint8Array(16);
  private tTag = new Float64Array(16);
  private tStart = new Float64Array(16);
  private tEnd = new Float64Array(16);
  private tNext = new Int32Array(16).fill(NONE);
  private tDone: (TransferDone | undefined)[] = [];
  private tError: (BusError | undefined)[] = [];
  private freeHead = NONE;
  private used = 0;

  private rr = 0;
  /** Wait (ps) of the bursts reserved since the caller zeroed it; flushed to the stats by addBurstStats. */
  private waitAcc = 0;
  private arbitrationPosted = false;
  private arbitrating = false;
  // Arbitration and group completions: a few pending at a time, in the simulator's lane (cheaper per event
  // than the simulator's heap; same order).
  private readonly lane: EventLane;

  constructor(sim: Simulator, map: AddressMap, dram: DramTiming, config: InterconnectConfig) {
    if (!Number.isSafeInteger(config.widthBytes) || config.widthBytes <= 0) throw new InterconnectError(`Interconnect: widthBytes must be a positive integer, got ${config.widthBytes}`);
    if (!Number.isSafeInteger(config.hopLatencyCycles) || config.hopLatencyCycles < 0) throw new InterconnectError(`Interconnect: hopLatencyCycles must be a non-negative integer, got ${config.hopLatencyCycles}`);
    this.sim = sim;
    this.map = map;
    this.dram = dram;
    this.config = config;
    this.clock = new ClockDomain('bus', config.clockHz);
    this.busWidth = config.widthBytes;
    this.hopPs = this.clock.cyclesToPs(config.hopLatencyCycles);
    this.mmioPs = this.clock.cyclesToPs(config.mmioLatencyCycles ?? 4);
    this.sramPs = this.clock.cyclesToPs(config.sramLatencyCycles ?? 2);
    this.cyclePs = new Float64Array(BOUNDARY + 1);
    for (let k = 0; k <= BOUNDARY; k++) this.cyclePs[k] = this.clock.cyclesToPs(k);
    this.busXferPs = this.xferTable(this.busWidth);
    this.dramChunkMask = dram.config.portInterleaveBytes - 1;
    this.lane = sim.lane();
  }

  get masterCount(): number {
    return this.names.length;
  }

  masterName(id: MasterId): string {
    this.checkMaster(id, 'masterName');
    return this.names[id]!;
  }

  addMaster(cfg: MasterConfig): MasterId {
    const where = `Interconnect.addMaster(${cfg.name})`;
    if (this.names.includes(cfg.name)) throw new InterconnectError(`${where}: a master with this name already exists`);
    if (!Number.isSafeInteger(cfg.widthBytes) || cfg.widthBytes <= 0) throw new InterconnectError(`${where}: widthBytes must be a positive integer, got ${cfg.widthBytes}`);
    if (!Number.isSafeInteger(cfg.maxBurstBeats) || cfg.maxBurstBeats < 1 || cfg.maxBurstBeats > 256) throw new InterconnectError(`${where}: maxBurstBeats must be 1..256, got ${cfg.maxBurstBeats}`);
    if (!Number.isSafeInteger(cfg.maxOutstanding) || cfg.maxOutstanding < 1) throw new InterconnectError(`${where}: maxOutstanding must be a positive integer, got ${cfg.maxOutstanding}`);
    const id = this.names.length;
    if (id >= this.mWidth.length) this.growMasters();
    this.names.push(cfg.name);
    this.mWidth[id] = cfg.widthBytes;
    this.portXferPs.push(this.xferTable(cfg.widthBytes));
    this.mBurstBytes[id] = Math.min(cfg.widthBytes * cfg.maxBurstBeats, BOUNDARY);
    this.mMaxOut[id] = cfg.maxOutstanding;
    const group = cfg.burstGroup ?? 1;
    if (!Number.isSafeInteger(group) || group < 1 || group > MAX_BURST_GROUP) throw new InterconnectError(`${where}: burstGroup must be 1..${MAX_BURST_GROUP}, got ${cfg.burstGroup}`);
    this.mGroup[id] = group;
    const burstBytes = this.mBurstBytes[id]!;
    this.mRunMask[id] = (burstBytes & (burstBytes - 1)) === 0 && BOUNDARY % burstBytes === 0 ? burstBytes - 1 : -1;
    this.mStreamK[id] = this.dram.streamChunksPerPort(burstBytes);
    const st = this.sim.stats;
    // The simulator's counters read the totals kept here (a group counts once, not twice).
    st.derivedCounter(`bus.${cfg.name}.bytes`, () => this.mBytes[id]!);
    st.derivedCounter(`bus.${cfg.name}.bursts`, () => this.mBursts[id]!);
    st.derivedCounter(`bus.${cfg.name}.waitPs`, () => this.mWait[id]!);
    this.cErrors.push(st.counter(`bus.${cfg.name}.errors`));
    this.hLatency.push(st.histogram(`bus.${cfg.name}.latencyPs`));
    return id;
  }

  /**
   * Timing path: moves `len` bytes at `addr` for `master`; calls done.onTransferDone(end, tag) when the
   * last burst completes, or done.onTransferError(err, tag) after a bus error (bursts already in flight
   * still complete first; the rest of the transfer is dropped).
   */
  transfer(master: MasterId, addr: number, len: number, isWrite: boolean, done: TransferDone, tag = 0): void {
    this.checkMaster(master, 'transfer');
    this.checkRange(addr, len, 'transfer');
    const t = this.allocTransfer();
    this.tMaster[t] = master;
    this.tAddr[t] = addr;
    this.tRemaining[t] = len;
    this.tInFlight[t] = 0;
    this.tWrite[t] = isWrite ? 1 : 0;
    this.tTag[t] = tag;
    this.tStart[t] = this.sim.now;
    this.tEnd[t] = this.sim.now;
    this.tDone[t] = done;
    this.tError[t] = undefined;
    this.tNext[t] = NONE;
    if (this.mTail[master] === NONE) this.mHead[master] = t;
    else this.tNext[this.mTail[master]!] = t;
    this.mTail[master] = t;
    this.mTransfers[master]! += 1;
    // Arbitrate in an event at the current time, so that every master submitting now competes.
    if (!this.arbitrating && !this.arbitrationPosted) {
      this.arbitrationPosted = true;
      this.lane.schedule(this, this.sim.now, ARBITRATE);
    }
  }

  /**
   * Atomic path: reserves the bus and DRAM for `len` bytes at `addr` starting at `now` and returns the
   * completion time. Throws BusError for an unmapped or straddling burst.
   */
  access(master: MasterId, addr: number, len: number, isWrite: boolean, now: Ps): Ps {
    return now + this.accessDelay(master, addr, len, isWrite, now);
  }

  /**
   * `access`, returning the time from `now` to the completion instead: a small integer for a line or a
   * word, which the caller adds to a time it holds (an absolute time returned from a call is boxed, a
   * heap number per CPU line fill).
   */
  accessDelay(master: MasterId, addr: number, len: number, isWrite: boolean, now: Ps): Ps {
    this.checkMaster(master, 'access');
    this.checkRange(addr, len, 'access');
    let a = addr;
    let remaining = len;
    const maxBurst = this.mBurstBytes[master]!;
    let bursts = 0;
    this.waitAcc = 0;
    this.times[T_NOW] = now;
    this.times[T_READY] = now;
    // Read back as a float64: starting from the parameter would make `end` a tagged value, boxing every
    // burst's completion time assigned to it.
    let end = this.times[T_NOW]!;
    while (remaining > 0) {
      // a % BOUNDARY without a float modulo while the address fits 31 bits (it is an integer ≥ 0).
      const inPage = a <= 0x7fffffff ? a & (BOUNDARY - 1) : a % BOUNDARY;
      let n = BOUNDARY - inPage;
      if (maxBurst < n) n = maxBurst;
      if (remaining < n) n = remaining;
      let region = this.lastRegion;
      // Regions never overlap and are never removed, so a burst inside the last region decodes to it.
      if (region === null || a < region.base || a + n > region.base + region.size) region = this.decodeAccess(master, a, n, isWrite, a - addr, bursts);
      this.reserve(master, region, a, n, isWrite);
      const e = this.times[T_END]!;
      if (e > end) end = e;
      bursts++;
      a += n;
      remaining -= n;
    }
    this.addBurstStats(master, len, bursts);
    this.mAtomic[master]! += 1;
    this.hLatency[master]!.record(end - now);
    return end - now;
  }

  /**
   * The region of an atomic access's burst (and the new last region); a bus error counts the bytes and
   * bursts before it and the error, then propagates. Out of accessDelay, which V8 then inlines.
   */
  private decodeAccess(master: MasterId, a: number, n: number, isWrite: boolean, bytesBefore: number, burstsBefore: number): Region {
    let region: Region;
    try {
      region = this.map.resolve(a, n, this.names[master]!, isWrite ? 'write' : 'read');
    } catch (e) {
      this.addBurstStats(master, bytesBefore, burstsBefore);
      this.mErrors[master]! += 1;
      this.cErrors[master]!.add(1);
      throw e;
    }
    this.lastRegion = region;
    return region;
  }

  /** Handles an event: arg -1 runs the arbiter; arg >= 0 is the completion of a burst group (see GROUP_ARG). */
  onEvent(arg: number): void {
    // While handling, transfers submitted by completion callbacks are granted by the pass below.
    this.arbitrating = true;
    try {
      if (arg === ARBITRATE) this.arbitrationPosted = false;
      else this.completeGroup(arg);
      this.grantAll();
    } finally {
      this.arbitrating = false;
    }
  }

  /** Per-master statistics plus the DRAM's. */
  report(): { masters: MasterReport[]; dram: ReturnType<DramTiming['report']> } {
    const masters: MasterReport[] = this.names.map((name, m) => ({
      name,
      bytes: this.mBytes[m]!,
      bursts: this.mBursts[m]!,
      transfers: this.mTransfers[m]!,
      atomicAccesses: this.mAtomic[m]!,
      errors: this.mErrors[m]!,
      waitPs: this.mWait[m]!,
      latencyPs: this.hLatency[m]!.summary(),
    }));
    return { masters, dram: this.dram.report(this.sim.now) };
  }

  /** Bursts the master has in flight now. */
  outstanding(master: MasterId): number {
    this.checkMaster(master, 'outstanding');
    return this.mOut[master]!;
  }

  /** Round-robin: one burst group per grant, starting after the last master granted, until no master can go. */
  private grantAll(): void {
    const n = this.names.length;
    const head = this.mHead;
    const out = this.mOut;
    const maxOut = this.mMaxOut;
    for (;;) {
      let granted = false;
      for (let i = 0, m = this.rr; i < n; i++) {
        if (head[m] !== NONE && out[m]! < maxOut[m]!) {
          this.rr = m + 1 === n ? 0 : m + 1;
          this.issueGroup(m);
          granted = true;
          break;
        }
        if (++m === n) m = 0;
      }
      if (!granted) return;
    }
  }

  /** Issues up to burstGroup bursts of master m's head transfer (bounded by its free slots) under one completion event. */
  private issueGroup(m: number): void {
    const t = this.mHead[m]!;
    const now = this.sim.now;
    const isWrite = this.tWrite[t] === 1;
    const maxBurst = this.mBurstBytes[m]!;
    let k = this.mMaxOut[m]! - this.mOut[m]!;
    const group = this.mGroup[m]!;
    if (group < k) k = group;
    const tStart = this.tStart[t]!;
    const freed = this.mSlotFreedAt[m]!;
    const ready = tStart > freed ? tStart : freed;
    let groupEnd = now;
    let issued = 0;
    let bytes = 0;
    // Address and remaining length live in locals for the group and are written back once.
    let addr = this.tAddr[t]!;
    let remaining = this.tRemaining[t]!;
    let region = this.lastRegion;
    this.waitAcc = 0;
    this.times[T_NOW] = now;
    this.times[T_READY] = ready;
    // A streaming group (whole bursts from a burst-aligned address, all in the DRAM region last decoded)
    // is reserved in one step: its bursts follow each other on the port at a fixed pitch, so the DRAM can
    // take them as one run (DramTiming.serviceBursts). Same reservations, stats and times as burst by burst.
    const runMask = this.mRunMask[m]!;
    if (k > 1 && runMask >= 0 && region !== null && region.kind === 'dram' && (addr <= 0x7fffffff ? (addr & runMask) === 0 : addr % maxBurst === 0)) {
      // Mostly a whole group of whole bursts remains: no division then.
      const bursts = remaining >= k * maxBurst ? k : Math.min(k, Math.ceil(remaining / maxBurst));
      const groupBytes = Math.min(remaining, bursts * maxBurst);
      if (bursts > 1 && addr >= region.base && addr + groupBytes <= region.base + region.size) {
        this.reserveRun(m, addr, groupBytes, bursts, maxBurst, isWrite);
        groupEnd = this.times[T_END]!;
        addr += groupBytes;
        remaining -= groupBytes;
        bytes = groupBytes;
        issued = bursts;
        if (remaining === 0) this.dequeueHead(m);
      }
    }
    while (issued < k && remaining > 0) {
      // addr % BOUNDARY without a float modulo while the address fits 31 bits (it is an integer ≥ 0).
      const inPage = addr <= 0x7fffffff ? addr & (BOUNDARY - 1) : addr % BOUNDARY;
      let n = BOUNDARY - inPage;
      if (maxBurst < n) n = maxBurst;
      if (remaining < n) n = remaining;
      // Regions never overlap and are never removed: a burst inside the last decoded region decodes to it.
      if (region === null || addr < region.base || addr + n > region.base + region.size) {
        try {
          region = this.map.resolve(addr, n, this.names[m]!, isWrite ? 'write' : 'read');
        } catch (e) {
          if (!(e instanceof BusError)) throw e;
          this.mErrors[m]! += 1;
          this.cErrors[m]!.add(1);
          this.tError[t] = e;
          remaining = 0;
          this.dequeueHead(m);
          break;
        }
        this.lastRegion = region;
      }
      this.reserve(m, region, addr, n, isWrite);
      const end = this.times[T_END]!;
      addr += n;
      remaining -= n;
      bytes += n;
      if (end > groupEnd) groupEnd = end;
      issued++;
      if (remaining === 0) {
        this.dequeueHead(m);
        break;
      }
    }
    this.tAddr[t] = addr;
    this.tRemaining[t] = remaining;
    if (issued === 0) {
      // The first burst failed: nothing of this group is in flight.
      if (this.tInFlight[t] === 0) this.finish(t);
      return;
    }
    this.addBurstStats(m, bytes, issued);
    this.tInFlight[t] = this.tInFlight[t]! + issued;
    this.mOut[m] = this.mOut[m]! + issued;
    if (groupEnd > this.tEnd[t]!) this.tEnd[t] = groupEnd;
    this.lane.schedule(this, groupEnd, t * GROUP_ARG + issued);
  }

  /**
   * Adds the bytes, bursts and wait (accumulated by reserve in waitAcc) of a group or atomic access to the
   * master's statistics at once: the values are integers, so the sums equal those of per-burst adds.
   */
  private addBurstStats(m: number, bytes: number, bursts: number): void {
    if (bursts === 0) return;
    this.mWait[m]! += this.waitAcc;
    this.mBytes[m]! += bytes;
    this.mBursts[m]! += bursts;
  }

  private completeGroup(arg: number): void {
    // GROUP_ARG is 2^7: a shift while the argument fits 31 bits.
    const t = arg <= 0x7fffffff ? arg >>> 7 : Math.floor(arg / GROUP_ARG);
    const k = arg - t * GROUP_ARG;
    const m = this.tMaster[t]!;
    this.mOut[m] = this.mOut[m]! - k;
    this.mSlotFreedAt[m] = this.sim.now;
    this.tInFlight[t] = this.tInFlight[t]! - k;
    if (this.tInFlight[t] === 0 && this.tRemaining[t] === 0) this.finish(t);
  }

  /** Reports a finished (or failed) transfer to its requester and recycles its record. */
  private finish(t: number): void {
    const m = this.tMaster[t]!;
    const done = this.tDone[t]!;
    const err = this.tError[t];
    const tag = this.tTag[t]!;
    const end = this.sim.now;
    this.hLatency[m]!.record(end - this.tStart[t]!);
    this.tDone[t] = undefined;
    this.tError[t] = undefined;
    this.tNext[t] = this.freeHead;
    this.freeHead = t;
    this.used--;
    if (err === undefined) done.onTransferDone(end, tag);
    else if (done.onTransferError !== undefined) done.onTransferError(err, tag);
    else throw err;
  }

  /**
   * Reserves master port, data channel, hop and slave for one burst requested at times[T_NOW];
   * times[T_READY] is when the burst first became eligible (for the wait statistic). Its completion time
   * goes to times[T_END].
   */
  protected reserve(m: number, region: Region, addr: number, n: number, isWrite: boolean): void {
    const times = this.times;
    const now = times[T_NOW]!;
    const dir = isWrite ? 1 : 0;
    const portIdx = m * 2 + dir;
    // n ≤ BOUNDARY bytes, so both times are table reads.
    const busXfer = this.busXferPs[n]!;
    const portXfer = this.portXferPs[m]![n]!;
    let start = now;
    if (this.mPortFree[portIdx]! > start) start = this.mPortFree[portIdx]!;
    if (this.channelFree[dir]! > start) start = this.channelFree[dir]!;
    this.channelFree[dir] = start + busXfer;
    this.mPortFree[portIdx] = start + portXfer;
    const arrive = start + this.hopPs;
    let served: Ps;
    if (region.kind === 'dram') {
      // Write data must cross the master port before the DRAM can take it; read data streams back.
      const io = this.dram.io;
      io[DRAM_ARRIVE] = isWrite ? arrive + portXfer : arrive;
      io[DRAM_STEP] = 0;
      this.dram.serve(addr, n, isWrite, n);
      served = io[DRAM_END]!;
    } else {
      served = arrive + (region.kind === 'mmio' ? this.mmioPs : this.sramPs) + busXfer;
    }
    // Read data cannot reach the master faster than its port carries it.
    if (!isWrite && arrive + portXfer > served) served = arrive + portXfer;
    this.waitAcc += start - times[T_READY]!;
    times[T_END] = served + this.hopPs;
  }

  /**
   * reserveRun's DRAM service of a write run whose last burst is short: it arrives earlier after its start
   * than the whole ones (at `lastArrive`), so it is served by a call of its own. Returns the later end.
   */
  private serveShortLastWrite(addr: number, bytes: number, burstBytes: number, lastBytes: number, lastArrive: number): Ps {
    const dram = this.dram;
    const io = dram.io;
    dram.serve(addr, bytes - lastBytes, true, burstBytes);
    const e = io[DRAM_END]!;
    io[DRAM_ARRIVE] = lastArrive;
    io[DRAM_STEP] = 0;
    dram.serve(addr + bytes - lastBytes, lastBytes, true, lastBytes);
    const served = io[DRAM_END]!;
    return e > served ? e : served;
  }

  /**
   * reserve() for `bursts` consecutive DRAM bursts of `burstBytes` (the last may be shorter) from a
   * burst-aligned `addr` (as issueGroup makes runs), made at one `now`: each burst starts when the previous
   * one has left the master's port and the shared channel, so the starts are start0 + i·pitch with
   * pitch = max(port time, channel time) of a whole burst; the DRAM takes the run in one call. Times as for reserve: the latest completion, as the per-burst loop would
   * give it, goes to times[T_END].
   */
  protected reserveRun(m: number, addr: number, bytes: number, bursts: number, burstBytes: number, isWrite: boolean): void {
    const times = this.times;
    const now = times[T_NOW]!;
    const ready = times[T_READY]!;
    const dir = isWrite ? 1 : 0;
    const portIdx = m * 2 + dir;
    const portTable = this.portXferPs[m]!;
    const portFull = portTable[burstBytes]!;
    const busFull = this.busXferPs[burstBytes]!;
    const pitch = portFull > busFull ? portFull : busFull;
    const lastBytes = bytes - (bursts - 1) * burstBytes;
    let start0 = now;
    if (this.mPortFree[portIdx]! > start0) start0 = this.mPortFree[portIdx]!;
    if (this.channelFree[dir]! > start0) start0 = this.channelFree[dir]!;
    const startLast = start0 + (bursts - 1) * pitch;
    this.channelFree[dir] = startLast + this.busXferPs[lastBytes]!;
    this.mPortFree[portIdx] = startLast + portTable[lastBytes]!;
    // Write data crosses the master port before the DRAM takes it (every burst but the last is whole).
    const arrive0 = start0 + this.hopPs + (isWrite ? portFull : 0);
    const dram = this.dram;
    const io = dram.io;
    io[DRAM_ARRIVE] = arrive0;
    io[DRAM_STEP] = pitch;
    let served: Ps;
    if (isWrite && lastBytes !== burstBytes) {
      served = this.serveShortLastWrite(addr, bytes, burstBytes, lastBytes, startLast + this.hopPs + portTable[lastBytes]!);
    } else {
      // Runs of whole chunks whose bursts fill every port alike (addr is burst-aligned) take the DRAM's
      // streaming entry; others its general one.
      const streamK = this.mStreamK[m]!;
      // A run is at most MAX_BURST_GROUP × 4 KiB bytes: an int32, so the mask test is exact.
      if (streamK > 0 && (bytes & this.dramChunkMask) === 0) dram.serveStream(addr, bytes, isWrite, streamK);
      else dram.serve(addr, bytes, isWrite, burstBytes);
      served = io[DRAM_END]!;
    }
    // Read data cannot reach the master faster than its port carries it (latest for the last burst).
    if (!isWrite) {
      const portDone = startLast + this.hopPs + portTable[lastBytes]!;
      if (portDone > served) served = portDone;
    }
    // Waits of the bursts: sum over i of (start0 + i·pitch - ready), exact in integers.
    this.waitAcc += bursts * (start0 - ready) + (pitch * (bursts * (bursts - 1))) / 2;
    times[T_END] = served + this.hopPs;
  }

  /** cyclePs[ceil(n / widthBytes)] for every n in 0..BOUNDARY. */
  private xferTable(widthBytes: number): Float64Array {
    const table = new Float64Array(BOUNDARY + 1);
    for (let n = 0; n <= BOUNDARY; n++) table[n] = this.cyclePs[((n + widthBytes - 1) / widthBytes) | 0]!;
    return table;
  }

  private dequeueHead(m: number): void {
    const t = this.mHead[m]!;
    const next = this.tNext[t]!;
    this.mHead[m] = next;
    if (next === NONE) this.mTail[m] = NONE;
    this.tNext[t] = NONE;
  }

  private allocTransfer(): number {
    if (this.freeHead !== NONE) {
      const t = this.freeHead;
      this.freeHead = this.tNext[t]!;
      this.used++;
      return t;
    }
    if (this.used >= this.tMaster.length) this.growTransfers();
    return this.used++;
  }

  private growTransfers(): void {
    const cap = this.tMaster.length * 2;
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.tMaster = grow(this.tMaster, (n) => new Int32Array(n));
    this.tAddr = grow(this.tAddr, (n) => new Float64Array(n));
    this.tRemaining = grow(this.tRemaining, (n) => new Float64Array(n));
    this.tInFlight = grow(this.tInFlight, (n) => new Int32Array(n));
    this.tWrite = grow(this.tWrite, (n) => new Uint8Array(n));
    this.tTag = grow(this.tTag, (n) => new Float64Array(n));
    this.tStart = grow(this.tStart, (n) => new Float64Array(n));
    this.tEnd = grow(this.tEnd, (n) => new Float64Array(n));
    this.tNext = grow(this.tNext, (n) => new Int32Array(n).fill(NONE));
  }

  private growMasters(): void {
    const cap = this.mWidth.length * 2;
    const i32 = (a: Int32Array, fill = 0): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap).fill(fill);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array, len = cap): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(len);
      b.set(a);
      return b;
    };
    this.mWidth = i32(this.mWidth);
    this.mBurstBytes = i32(this.mBurstBytes);
    this.mMaxOut = i32(this.mMaxOut);
    this.mGroup = i32(this.mGroup);
    this.mRunMask = i32(this.mRunMask);
    this.mStreamK = i32(this.mStreamK);
    this.mOut = i32(this.mOut);
    this.mHead = i32(this.mHead, NONE);
    this.mTail = i32(this.mTail, NONE);
    this.mPortFree = f64(this.mPortFree, cap * 2);
    this.mSlotFreedAt = f64(this.mSlotFreedAt);
    this.mBytes = f64(this.mBytes);
    this.mBursts = f64(this.mBursts);
    this.mTransfers = f64(this.mTransfers);
    this.mAtomic = f64(this.mAtomic);
    this.mErrors = f64(this.mErrors);
    this.mWait = f64(this.mWait);
  }

  // The checks run on every transfer and access; their messages are built in functions of their own, so
  // that the checks stay small enough for V8 to inline.
  private checkMaster(id: MasterId, where: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.names.length) this.rejectMaster(id, where);
  }

  private rejectMaster(id: MasterId, where: string): never {
    throw new InterconnectError(`Interconnect.${where}: unknown master id ${id} (have ${this.names.length})`);
  }

  private checkRange(addr: number, len: number, where: string): void {
    if (!Number.isSafeInteger(addr) || addr < 0) this.rejectAddress(addr, where);
    if (!Number.isSafeInteger(len) || len <= 0) this.rejectLength(len, where);
  }

  private rejectAddress(addr: number, where: string): never {
    throw new InterconnectError(`Interconnect.${where}: address must be a non-negative integer below 2^53, got ${addr}`);
  }

  private rejectLength(len: number, where: string): never {
    throw new InterconnectError(`Interconnect.${where}: length must be a positive integer, got ${len}`);
  }
}
