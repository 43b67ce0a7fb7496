import type { Counter } from '../../emulator/kernel/stats.ts';
import type { Ps } from '../../emulator/kernel/time.ts';
import { IommuConfigError, hex } from './errors.ts';
import { Iotlb, STALE, STALE_REPORTED, SYSMMU_V2_IOTLB } from './iotlb.ts';
import type { IotlbConfig } from './iotlb.ts';
import { IOMMU_WRITE, WalkResult } from './page-table.ts';
import type { IoPageTable, PageTableFormat, WalkPort } from './page-table.ts';

/** Where the walker's descriptor reads get their bytes: DRAM itself, or MemorySystem.deviceRead with the walker's coherency mode. */
export interface WalkMemory {
  read(pa: number, dst: Uint8Array, dstOff: number, len: number): void;
}

/** The timing of one walker read on the bus: Interconnect.access bound to the IOMMU's master id. */
export interface WalkBus {
  access(addr: number, len: number, isWrite: boolean, now: Ps): Ps;
}

/** Something that hands out named counters (emulator/kernel Stats). */
export interface CounterSource {
  counter(name: string): Counter;
}

/** Modelled latencies (ps). Defaults are assumptions, listed in docs/presets.md. */
export interface IommuTiming {
  /** IOTLB lookup on a hit. */
  tlbHitPs: number;
  /** Walker work per level on top of the memory read. */
  walkStepPs: number;
  /** Descriptor read latency when no bus is attached (with a bus, the bus decides). */
  descReadPs: number;
  /** One invalidate-by-entry (an MMIO write to FLUSH_ENTRY, the MMU blocked meanwhile). */
  entryInvalidatePs: number;
  /** Invalidate all (MMU_FLUSH). */
  allInvalidatePs: number;
}

export const DEFAULT_IOMMU_TIMING: IommuTiming = {
  tlbHitPs: 5_000,
  walkStepPs: 5_000,
  descReadPs: 100_000,
  entryInvalidatePs: 50_000,
  allInvalidatePs: 500_000,
};

export type IommuViolationKind = 'iommu-fault' | 'stale-iotlb';

/** The project's violation shape {kind, op, dev, addr, size, message, hint} plus IOMMU details. */
export interface IommuViolation {
  kind: IommuViolationKind;
  /** Trace operation index; -1 here, the replayer fills it in. */
  op: number;
  dev: string;
  /** The IOVA the device used. */
  addr: number;
  size: number;
  message: string;
  hint: string;
  iova: number;
  dir: 'read' | 'write';
  time: Ps;
  /** For faults: 'translation', 'access-flag', 'permission' or 'external-abort'; for stale uses: the physical address still reached. */
  reason: string;
  pa: number;
}

/** The reusable answer of translate(): read it before the next call. */
export class TranslateResult {
  ok = false;
  /** Physical address of the first byte. */
  pa = 0;
  /** How many of the requested bytes are physically contiguous from pa (the rest needs another translate). */
  bytes = 0;
  /** Time the translation took, including waiting for an invalidation to finish. */
  costPs: Ps = 0;
  fault = false;
  /** The translation came from an IOTLB entry whose mapping the driver had already removed. */
  stale = false;
  tlbHit = false;
}

export interface IommuOptions {
  /** Bus master name of the IOMMU (its walks are counted under it), e.g. 'sysmmu-fimc0'. */
  master: string;
  format: PageTableFormat;
  tlb?: IotlbConfig;
  timing?: Partial<IommuTiming>;
  walkMemory: WalkMemory;
  bus?: WalkBus;
  stats?: CounterSource;
  /**
   * Range invalidation the SYSMMU way: one entry invalidation per 4 KiB page, at most this many (64 on v2,
   * enough to reach every set). Used for the 'sysmmu' format; LPAE invalidates once per leaf.
   */
  sysmmuMaxRangeEntries?: number;
  /** Called for every reported violation (default: kept in `violations`, up to 10,000). */
  onViolation?: (v: IommuViolation) => void;
  /** The fault interrupt: called for every faulting access (after the violation is reported). */
  onFault?: (iova: number, dev: string, isWrite: boolean, reason: string) => void;
}

const STALE_HINT =
  'stop the device (and wait for it) before dma_unmap; with lazy IOTLB invalidation (iommu.strict=0) the old ' +
  'translation stays live until the flush queue drains — use strict mode for devices that may run late';
const FAULT_HINT =
  'the device used a DMA address that is not mapped: keep the mapping until the device is done (unmap after ' +
  'the transfer completes) and never hand the device a handle after dma_unmap';

/**
 * One IOMMU instance (an Exynos SYSMMU in front of one master, or an SMMU shared by several): an IOTLB,
 * a table walker reading real descriptors from simulated memory, invalidation that blocks translation while
 * it runs, and fault reporting that never throws: a faulting access is dropped (reads return zeros) and
 * the fault callback runs, as the fault interrupt would.
 */
export class Iommu implements WalkPort {
  readonly master: string;
  readonly format: PageTableFormat;
  readonly tlb: Iotlb;
  readonly timing: IommuTiming;
  readonly violations: IommuViolation[] = [];
  hi = 0;
  private table: IoPageTable | null = null;
  private readonly walkMemory: WalkMemory;
  private readonly bus: WalkBus | undefined;
  private readonly maxRangeEntries: number;
  private onViolation: (v: IommuViolation) => void;
  private readonly onFault: IommuOptions['onFault'];
  private readonly walkOut = new WalkResult();
  private readonly result = new TranslateResult();
  private readonly buf8 = new Uint8Array(8);
  private readonly unmapListener = (iova: number, size: number): void => {
    this.tlb.markStale(iova, size);
    this.lastFaultPage = -1;
  };
  /** Translation is blocked until this time (an invalidation is running). */
  busyUntil: Ps = 0;
  /** Time cursor of the walk in progress (each descriptor read advances it). */
  private walkTime: Ps = 0;
  /** The bus or memory error that aborted the last failed walk ('' if none). */
  walkAbort = '';
  private lastFaultDev = '';
  private lastFaultPage = -1;
  private lastFaultWrite = false;
  // Counters (plain numbers; mirrored into Stats counters when given).
  private readonly c: {
    hits: Counter | null; misses: Counter | null; walks: Counter | null; walkReads: Counter | null;
    faults: Counter | null; staleUses: Counter | null; invEntry: Counter | null; invAll: Counter | null; blockedPs: Counter | null;
  };
  walks = 0;
  walkReads = 0;
  faults = 0;
  staleUses = 0;
  entryInvalidations = 0;
  allInvalidations = 0;

  constructor(opts: IommuOptions) {
    if (typeof opts.master !== 'string' || opts.master === '') throw new IommuConfigError('Iommu: master must be a non-empty name');
    if (opts.format !== 'sysmmu' && opts.format !== 'lpae') throw new IommuConfigError(`Iommu ${opts.master}: format must be 'sysmmu' or 'lpae', got ${String(opts.format)}`);
    this.master = opts.master;
    this.format = opts.format;
    this.tlb = new Iotlb(opts.tlb ?? (opts.format === 'sysmmu' ? SYSMMU_V2_IOTLB : { sets: 64, ways: 8, invalidateSearch: 'all-sets' }));
    this.timing = { ...DEFAULT_IOMMU_TIMING, ...opts.timing };
    this.walkMemory = opts.walkMemory;
    this.bus = opts.bus;
    this.maxRangeEntries = opts.sysmmuMaxRangeEntries ?? 64;
    this.onViolation =
      opts.onViolation ??
      ((v) => {
        if (this.violations.length < 10_000) this.violations.push(v);
      });
    this.onFault = opts.onFault;
    const s = opts.stats;
    const p = `iommu.${this.master}.`;
    this.c = {
      hits: s?.counter(`${p}tlb_hits`) ?? null,
      misses: s?.counter(`${p}tlb_misses`) ?? null,
      walks: s?.counter(`${p}walks`) ?? null,
      walkReads: s?.counter(`${p}walk_reads`) ?? null,
      faults: s?.counter(`${p}faults`) ?? null,
      staleUses: s?.counter(`${p}stale_iotlb_uses`) ?? null,
      invEntry: s?.counter(`${p}invalidate_entry`) ?? null,
      invAll: s?.counter(`${p}invalidate_all`) ?? null,
      blockedPs: s?.counter(`${p}blocked_ps`) ?? null,
    };
  }

  /** Redirects violation reports (the DMA layer wires them into its violation list when a device attaches). */
  setViolationSink(fn: (v: IommuViolation) => void): void {
    this.onViolation = fn;
  }

  /** The page table currently programmed (PT_BASE / TTBR), or null. */
  get pageTable(): IoPageTable | null {
    return this.table;
  }

  /** Programs a page table (exynos_iommu_attach_device): the IOTLB is flushed, functionally and at no cost. */
  attach(table: IoPageTable): void {
    if (table.format !== this.format) {
      throw new IommuConfigError(`Iommu ${this.master}: cannot attach a '${table.format}' table to a '${this.format}' IOMMU`);
    }
    this.detach();
    this.table = table;
    table.addUnmapListener(this.unmapListener);
    this.tlb.invalidateAll();
  }

  detach(): void {
    if (this.table !== null) this.table.removeUnmapListener(this.unmapListener);
    this.table = null;
    this.tlb.invalidateAll();
  }

  /** WalkPort: one descriptor read, functional from walkMemory, timed on the bus. */
  readDesc(pa: number, bytes: 4 | 8): number {
    const b = this.buf8;
    // Timing first: the bus routes (and may reject) the read before any data comes back.
    this.walkTime = this.bus !== undefined ? this.bus.access(pa, bytes, false, this.walkTime) : this.walkTime + this.timing.descReadPs;
    this.walkMemory.read(pa, b, 0, bytes);
    this.walkTime += this.timing.walkStepPs;
    this.walkReads++;
    this.c.walkReads?.add(1);
    this.hi = bytes === 8 ? (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0 : 0;
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /**
   * Translates a device access of `len` bytes at `iova` starting at time `now`. Hot path: no allocation;
   * the returned object is reused. On a fault the access must be dropped (reads see zeros).
   */
  translate(iova: number, len: number, isWrite: boolean, now: Ps, dev: string = this.master): TranslateResult {
    const r = this.result;
    let t = now;
    if (this.busyUntil > t) {
      this.c.blockedPs?.add(this.busyUntil - t);
      t = this.busyUntil;
    }
    r.ok = false;
    r.fault = false;
    r.stale = false;
    r.tlbHit = false;
    let leafIova: number;
    let leafPa: number;
    let leafSize: number;
    let prot: number;
    let reason = 'translation';
    const slot = this.tlb.lookup(iova);
    if (slot >= 0) {
      this.c.hits?.add(1);
      r.tlbHit = true;
      t += this.timing.tlbHitPs;
      leafIova = this.tlb.iova[slot]!;
      leafPa = this.tlb.pa[slot]!;
      leafSize = this.tlb.size[slot]!;
      prot = this.tlb.prot[slot]!;
      const st = this.tlb.stale[slot]!;
      if (st !== 0) {
        r.stale = true;
        this.staleUses++;
        this.c.staleUses?.add(1);
        if (st === STALE) {
          this.tlb.stale[slot] = STALE_REPORTED;
          const pa = leafPa + (iova - leafIova);
          this.report('stale-iotlb', dev, iova, len, isWrite, t, hex(pa), pa,
            `${dev} ${isWrite ? 'wrote' : 'read'} ${len} bytes at IOVA ${hex(iova)} through a stale IOTLB entry ` +
            `(-> PA ${hex(pa)}): the driver unmapped it but the IOTLB was not yet invalidated`, STALE_HINT);
        }
      }
    } else {
      this.c.misses?.add(1);
      this.walks++;
      this.c.walks?.add(1);
      const w = this.walkOut;
      if (this.table === null) {
        w.valid = false;
        w.reason = 'translation';
      } else {
        this.walkTime = t;
        try {
          this.table.walk(iova, this, w);
        } catch (e) {
          // A descriptor pointing at nothing (a stale or garbage table link): the walk aborts with an
          // external abort, reported as a fault; the simulation carries on.
          if (!(e instanceof Error)) throw e;
          w.valid = false;
          w.reason = 'external-abort';
          this.walkAbort = e.message;
        }
        t = this.walkTime;
      }
      if (w.valid) {
        this.tlb.insert(iova, w.leafIova, w.leafPa, w.leafSize, w.prot);
        leafIova = w.leafIova;
        leafPa = w.leafPa;
        leafSize = w.leafSize;
        prot = w.prot;
      } else {
        reason = w.reason;
        leafIova = leafPa = leafSize = prot = 0;
      }
    }
    if (leafSize !== 0 && isWrite && (prot & IOMMU_WRITE) === 0) {
      reason = 'permission';
      leafSize = 0;
    }
    r.costPs = t - now;
    if (leafSize === 0) {
      this.fault(iova, len, isWrite, t, dev, reason);
      r.fault = true;
      r.bytes = len;
      return r;
    }
    r.ok = true;
    this.lastFaultPage = -1; // a new fault on this page after a success is a new event
    r.pa = leafPa + (iova - leafIova);
    r.bytes = Math.min(len, leafIova + leafSize - iova);
    return r;
  }

  private fault(iova: number, len: number, isWrite: boolean, t: Ps, dev: string, reason: string): void {
    this.faults++;
    this.c.faults?.add(1);
    const page = Math.floor(iova / 4096);
    // A device streaming into an unmapped buffer faults once per burst; report the first of a run.
    if (dev !== this.lastFaultDev || page !== this.lastFaultPage || isWrite !== this.lastFaultWrite) {
      this.lastFaultDev = dev;
      this.lastFaultPage = page;
      this.lastFaultWrite = isWrite;
      const what =
        reason === 'permission' ? 'write to a read-only mapping'
        : reason === 'access-flag' ? 'access flag fault'
        : reason === 'external-abort' ? `table walk aborted (${this.walkAbort})`
        : 'no translation (page fault)';
      this.report('iommu-fault', dev, iova, len, isWrite, t, reason, -1,
        `${this.master}: ${dev} ${isWrite ? 'write' : 'read'} of ${len} bytes at IOVA ${hex(iova)} faulted: ${what}`, FAULT_HINT);
    }
    this.onFault?.(iova, dev, isWrite, reason);
  }

  private report(kind: IommuViolationKind, dev: string, iova: number, len: number, isWrite: boolean, t: Ps,
    reason: string, pa: number, message: string, hint: string): void {
    this.onViolation({ kind, op: -1, dev, addr: iova, size: len, message, hint, iova, dir: isWrite ? 'write' : 'read', time: t, reason, pa });
  }

  /** One invalidate-by-entry starting at `now` (waits for a running one); returns its completion time. */
  invalidateEntry(va: number, now: Ps): Ps {
    const start = Math.max(now, this.busyUntil);
    this.tlb.invalidateEntry(va);
    this.lastFaultPage = -1;
    this.entryInvalidations++;
    this.c.invEntry?.add(1);
    this.busyUntil = start + this.timing.entryInvalidatePs;
    return this.busyUntil;
  }

  /**
   * Invalidates the translations of [iova, iova + size) whose leaves are `leafSize` bytes, the way the
   * driver does: SYSMMU one entry per 4 KiB page up to sysmmuMaxRangeEntries (64 reach every set of a v2
   * TLB), LPAE one per leaf. Returns the completion time; translation is blocked until then.
   */
  invalidateRange(iova: number, size: number, leafSize: number, now: Ps): Ps {
    let t = now;
    if (this.format === 'sysmmu') {
      const n = Math.min(Math.ceil(size / 4096), this.maxRangeEntries);
      for (let i = 0; i < n; i++) t = this.invalidateEntry(iova + i * 4096, t);
    } else {
      const n = Math.ceil(size / leafSize);
      for (let i = 0; i < n; i++) t = this.invalidateEntry(iova + i * leafSize, t);
    }
    return t;
  }

  /** Invalidates the whole IOTLB; returns the completion time. */
  invalidateAll(now: Ps): Ps {
    const start = Math.max(now, this.busyUntil);
    this.tlb.invalidateAll();
    this.lastFaultPage = -1;
    this.allInvalidations++;
    this.c.invAll?.add(1);
    this.busyUntil = start + this.timing.allInvalidatePs;
    return this.busyUntil;
  }

  get tlbHits(): number {
    return this.tlb.hits;
  }
  get tlbMisses(): number {
    return this.tlb.misses;
  }
}
