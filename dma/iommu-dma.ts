// iommu_dma_ops (drivers/iommu/dma-iommu.c, and the arch/arm arm_iommu_ops of the seed's era): streaming
// mappings get an IOVA from an allocator and page-table entries in the domain's tables (written by the CPU
// in simulated DRAM, cleaned for a non-coherent walker), the buffer still gets the ARM cache maintenance
// for a non-coherent master, and unmapping invalidates the IOTLB either at once (strict) or in batches
// through a flush queue (lazy), freeing each IOVA only after the flush that covers it.
import type { Ps } from '../emulator/kernel/time.ts';
import { IOMMU_READ, IOMMU_WRITE, IommuMapError, TablePool, createPageTable } from '../soc/iommu/index.ts';
import type { IoPageTable, Iommu, IommuViolation, LpaeOptions, PageTableCpu, PageTableFormat } from '../soc/iommu/index.ts';
import { armAlloc, armFree, armGetSgtable, armMmap } from './coherent-alloc.ts';
import { syncForCpu, syncForDevice } from './cache-sync.ts';
import { DMA_MAPPING_ERROR, DmaAttr, DmaDirection } from './types.ts';
import type { DmaEnv } from './env.ts';
import { BitmapIovaAllocator, IovaDomain, IovaError } from './iova.ts';
import type { IovaSpace } from './iova.ts';
import type { DmaStrategy } from './strategies.ts';
import type { ViolationSink } from './violation.ts';
import type { CoherentBuffer, DeviceLike, DmaMapOps, ScatterEntry } from './types.ts';

export class IommuDmaError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'IommuDmaError';
  }
}

/** CPU clock conversions the strategy needs (emulator/kernel ClockDomain fits). */
export interface CpuClock {
  cyclesToPs(cycles: number): Ps;
  psToCycles(ps: Ps): number;
}

export interface IommuDmaConfig {
  /** 'strict': invalidate the IOTLB synchronously at unmap; 'lazy': queue the IOVA in a flush queue. */
  mode: 'strict' | 'lazy';
  format: PageTableFormat;
  /** The IOMMU instances the domain is attached to (one SYSMMU per master, or one shared SMMU). */
  iommus: Iommu[];
  iova: IovaSpace;
  /** Current simulated time (Simulator.now). */
  now: () => Ps;
  cpuClock: CpuClock;
  /** Page-table memory: an existing pool, or `tableBytes` carved out of the page allocator (default 1 MiB). */
  tablePool?: TablePool;
  tableBytes?: number;
  lpae?: LpaeOptions;
  /** Whether the table walker snoops the CPU caches (io-pgtable's coherent_walk). Default false (Exynos). */
  walkerCoherent?: boolean;
  /** Bug-catalog knob: skip cleaning written PTEs to the point of coherency. Default false. */
  forgetTableClean?: boolean;
  /** How PTEs are made visible: 'flush' (exynos 3.x pgtable_flush: clean+invalidate) or 'clean' (dma_sync_single_for_device). */
  tableSyncOp?: 'flush' | 'clean';
  /** Flush-queue entries per CPU ring (IOVA_FQ_SIZE, 256). */
  flushQueueSize?: number;
  /** Flush-queue timer (IOVA_FQ_TIMEOUT, 10 ms). */
  flushTimeoutPs?: Ps;
  /** Runs `fn` after `delay` ps of simulated time (Simulator.schedule); absent, the timer is checked at each call. */
  schedule?: (delay: Ps, fn: () => void) => void;
  /** Fixed CPU cycles of the IOMMU part of a map / unmap (iova lookup, locking, iommu core). Default 150 each. */
  mapOverheadCycles?: number;
  unmapOverheadCycles?: number;
  /** dma_get_max_seg_size: map_sg merges IOVA-contiguous entries up to this length (Linux default 64 KiB). */
  maxSegmentBytes?: number;
}

/** Defaults, listed for docs/presets.md. */
export const IOMMU_DMA_DEFAULTS = {
  tableBytes: 1 << 20,
  flushQueueSize: 256,
  flushTimeoutPs: 10_000_000_000,
  mapOverheadCycles: 150,
  unmapOverheadCycles: 150,
  tableSyncOp: 'flush' as const,
  maxSegmentBytes: 65536,
};

/** The kernel side of the page tables: CPU accesses through the caches, clean/flush for the walker. */
export class PlatformTableCpu implements PageTableCpu {
  cycles = 0;
  syncs = 0;
  syncedBytes = 0;
  private readonly env: DmaEnv;
  private readonly walkerCoherent: boolean;
  private readonly forget: boolean;
  private readonly syncOp: 'flush' | 'clean';
  private readonly w = new Uint8Array(4);
  private static readonly ZERO = new Uint8Array(4096);

  constructor(env: DmaEnv, opts: { walkerCoherent: boolean; forgetClean: boolean; syncOp: 'flush' | 'clean' }) {
    this.env = env;
    this.walkerCoherent = opts.walkerCoherent;
    this.forget = opts.forgetClean;
    this.syncOp = opts.syncOp;
  }

  read32(pa: number): number {
    this.cycles += this.env.platform.cpuRead(this.env.core, pa, this.w, 0, 4, 'normal-wb');
    const w = this.w;
    return (w[0]! | (w[1]! << 8) | (w[2]! << 16) | (w[3]! << 24)) >>> 0;
  }

  write32(pa: number, value: number): void {
    const w = this.w;
    w[0] = value & 0xff;
    w[1] = (value >>> 8) & 0xff;
    w[2] = (value >>> 16) & 0xff;
    w[3] = (value >>> 24) & 0xff;
    this.cycles += this.env.platform.cpuWrite(this.env.core, pa, w, 0, 4, 'normal-wb');
  }

  zero(pa: number, len: number): void {
    const z = PlatformTableCpu.ZERO;
    for (let done = 0; done < len; done += z.length) {
      this.cycles += this.env.platform.cpuWrite(this.env.core, pa + done, z, 0, Math.min(z.length, len - done), 'normal-wb');
    }
  }

  syncForWalker(pa: number, len: number): void {
    this.syncs++;
    this.syncedBytes += len;
    if (this.walkerCoherent || this.forget) return;
    const p = this.env.platform;
    const core = this.env.core;
    if (this.syncOp === 'flush') {
      if (p.l1FlushRange !== undefined) this.cycles += p.l1FlushRange(core, pa, len);
      else {
        this.cycles += p.dmaMapArea(core, pa, len, DmaDirection.TO_DEVICE);
        this.cycles += p.dmaUnmapArea(core, pa, len, DmaDirection.FROM_DEVICE);
      }
      this.cycles += p.outerFlushRange(pa, len, core);
    } else {
      this.cycles += p.dmaMapArea(core, pa, len, DmaDirection.TO_DEVICE);
      this.cycles += p.outerCleanRange(pa, len, core);
    }
  }
}

interface FqEntry {
  iova: number;
  size: number;
}

/** What the ops table exposes beyond DmaMapOps: the domain, the flush queue and per-call cost. */
export interface IommuDmaOps extends DmaMapOps {
  readonly table: IoPageTable;
  readonly iova: IovaSpace;
  readonly mode: 'strict' | 'lazy';
  /** CPU cycles and simulated ps of the last map/unmap call (for `dmasim bench map`). */
  readonly lastCall: { cycles: number; ps: Ps };
  /** Entries waiting in the flush queues (all CPUs). */
  pendingFlush(): number;
  /** Runs the flush now (timer expiry or teardown): invalidate-all, then free the queued IOVAs. Returns its completion time. */
  flushQueue(): Ps;
  /** Counters: maps, unmaps, flushes, fullFlushes (ring full), timerFlushes, failures. */
  readonly counters: { maps: number; unmaps: number; flushes: number; fullFlushes: number; timerFlushes: number; failures: number };
}

function dirProt(dir: DmaDirection): number {
  // dma_info_to_prot: TO_DEVICE → read, FROM_DEVICE → write, BIDIRECTIONAL → both.
  if (dir === DmaDirection.TO_DEVICE) return IOMMU_READ;
  if (dir === DmaDirection.FROM_DEVICE) return IOMMU_WRITE;
  return IOMMU_READ | IOMMU_WRITE;
}

/** Adapts an Iommu's violation reports to the DMA layer's ViolationSink. */
export function iommuViolationSink(sink: ViolationSink): (v: IommuViolation) => void {
  return (v) => sink(v.kind, v.dev, v.addr, v.size, v.message, v.hint);
}

/**
 * Builds the IOMMU ops for one domain: creates its page table in DRAM, attaches the IOMMUs, and maps with
 * `cfg.iova`. Strategy names: 'iommu-strict' and 'iommu-lazy' (cfg.mode).
 */
export function createIommuDmaOps(env: DmaEnv, cfg: IommuDmaConfig): IommuDmaOps {
  if (cfg.mode !== 'strict' && cfg.mode !== 'lazy') throw new IommuDmaError(`createIommuDmaOps: mode must be 'strict' or 'lazy', got ${String(cfg.mode)}`);
  if (cfg.iommus.length === 0) throw new IommuDmaError('createIommuDmaOps: at least one Iommu is needed');
  const granule = cfg.iova.granule;
  const pool = cfg.tablePool ?? carveTablePool(env, cfg.tableBytes ?? IOMMU_DMA_DEFAULTS.tableBytes);
  const tcpu = new PlatformTableCpu(env, {
    walkerCoherent: cfg.walkerCoherent ?? false,
    forgetClean: cfg.forgetTableClean ?? false,
    syncOp: cfg.tableSyncOp ?? IOMMU_DMA_DEFAULTS.tableSyncOp,
  });
  const table = createPageTable(cfg.format, tcpu, pool, cfg.lpae ?? {});
  if (granule % Math.min(...table.pageSizes) !== 0) {
    throw new IommuDmaError(`createIommuDmaOps: IOVA granule ${granule} is not a multiple of the smallest page ${Math.min(...table.pageSizes)}`);
  }
  // Table creation ran on the CPU before any call: its cost is setup, not a call's.
  tcpu.cycles = 0;
  for (const m of cfg.iommus) m.attach(table);
  const fqSize = cfg.flushQueueSize ?? IOMMU_DMA_DEFAULTS.flushQueueSize;
  const fqTimeout = cfg.flushTimeoutPs ?? IOMMU_DMA_DEFAULTS.flushTimeoutPs;
  const mapOverhead = cfg.mapOverheadCycles ?? IOMMU_DMA_DEFAULTS.mapOverheadCycles;
  const unmapOverhead = cfg.unmapOverheadCycles ?? IOMMU_DMA_DEFAULTS.unmapOverheadCycles;
  const maxSeg = cfg.maxSegmentBytes ?? IOMMU_DMA_DEFAULTS.maxSegmentBytes;
  const rings: FqEntry[][] = [];
  let timerDeadline = -1;
  const aperture = 2 ** table.iasBits - 1;
  const coherentHandles = new Map<number, number>(); // iova -> the allocator's own handle
  const lastCall = { cycles: 0, ps: 0 };
  const counters = { maps: 0, unmaps: 0, flushes: 0, fullFlushes: 0, timerFlushes: 0, failures: 0 };
  const leaves: number[] = [];
  const collectLeaf = (iova: number, size: number): void => {
    leaves.push(iova, size);
  };

  const cyclesOf = (ps: Ps): number => {
    const c = cfg.cpuClock.psToCycles(ps);
    return cfg.cpuClock.cyclesToPs(c) < ps ? c + 1 : c;
  };
  /** Moves the table CPU's cycles into the call's cost. */
  const takeTableCycles = (): void => {
    env.cost.cycles += tcpu.cycles;
    tcpu.cycles = 0;
  };
  const begin = (): number => {
    pollTimer();
    return env.cost.cycles;
  };
  const end = (start: number): void => {
    lastCall.cycles = env.cost.cycles - start;
    lastCall.ps = cfg.cpuClock.cyclesToPs(lastCall.cycles);
  };
  const nowInCall = (start: number): Ps => cfg.now() + cfg.cpuClock.cyclesToPs(env.cost.cycles - start);

  function pollTimer(): void {
    if (cfg.schedule === undefined && timerDeadline >= 0 && cfg.now() >= timerDeadline) {
      counters.timerFlushes++;
      flushAll(cfg.now());
    }
  }

  /** Frees an IOVA range; a size that does not match the allocation is logged and the range leaked. */
  function freeIova(dev: DeviceLike | null, iova: number, len: number, cpu: number): void {
    try {
      cfg.iova.freeIova(iova, len, cpu);
    } catch (e) {
      if (!(e instanceof IovaError)) throw e;
      env.dmesg(dev, `iommu: ${e.message}`);
    }
  }

  /** Invalidate-all on every IOMMU, then free every queued IOVA. Returns when the IOTLBs are clean. */
  function flushAll(at: Ps): Ps {
    let done = at;
    for (const m of cfg.iommus) done = Math.max(done, m.invalidateAll(at));
    counters.flushes++;
    for (let c = 0; c < rings.length; c++) {
      const ring = rings[c];
      if (ring === undefined) continue;
      for (const e of ring) freeIova(null, e.iova, e.size, c);
      ring.length = 0;
    }
    timerDeadline = -1;
    return done;
  }

  function armTimer(): void {
    if (timerDeadline >= 0) return;
    timerDeadline = cfg.now() + fqTimeout;
    if (cfg.schedule !== undefined) {
      const deadline = timerDeadline;
      cfg.schedule(fqTimeout, () => {
        if (timerDeadline !== deadline) return; // flushed meanwhile
        counters.timerFlushes++;
        // fq_flush_timeout runs in a timer on some CPU; its cost is not charged to a caller.
        flushAll(cfg.now());
      });
    }
  }

  /** Maps [phys, phys+len) (granule aligned) at iova; false (and nothing mapped) when the table refuses. */
  function mapRange(iova: number, phys: number, len: number, prot: number): boolean {
    try {
      table.map(iova, phys, len, prot);
      return true;
    } catch (e) {
      if (!(e instanceof IommuMapError)) throw e;
      // Undo what was mapped of this range, without invalidation: nothing used it yet.
      table.unmap(iova, len);
      return false;
    } finally {
      takeTableCycles();
    }
  }

  /** __iommu_dma_unmap: clear the PTEs, then invalidate (strict) or queue (lazy), freeing the IOVA after. */
  function unmapRange(dev: DeviceLike, iova: number, len: number, start: number): void {
    leaves.length = 0;
    let unmapped = 0;
    try {
      unmapped = table.unmap(iova, len, collectLeaf);
    } catch (e) {
      if (!(e instanceof IommuMapError)) throw e;
      env.dmesg(dev, `iommu: ${e.message}`);
    }
    takeTableCycles();
    env.cost.cycles += unmapOverhead;
    if (unmapped !== len) {
      // iommu_unmap's WARN: the driver unmapped something that was not (fully) mapped. What was cleared
      // still gets invalidated below; the IOVA is not freed (its size is unknown), as Linux leaks it.
      env.dmesg(dev, `iommu: unmapped ${unmapped} of ${len} bytes at IOVA 0x${iova.toString(16)}`);
      if (leaves.length === 0) return;
    }
    if (cfg.mode === 'strict') {
      const t0 = nowInCall(start);
      let t = t0;
      for (const m of cfg.iommus) {
        let tm = t0;
        for (let i = 0; i < leaves.length; i += 2) tm = m.invalidateRange(leaves[i]!, leaves[i + 1]!, leaves[i + 1]!, tm);
        t = Math.max(t, tm);
      }
      env.cost.cycles += cyclesOf(t - t0); // the CPU waits for the invalidation to complete
      if (unmapped === len) freeIova(dev, iova, len, env.core);
      return;
    }
    if (unmapped !== len) {
      // Nothing to queue for freeing; still make the cleared leaves unreachable at the next flush.
      armTimer();
      return;
    }
    let ring = rings[env.core];
    if (ring === undefined) {
      ring = [];
      rings[env.core] = ring;
    }
    if (ring.length >= fqSize) {
      // Ring full: flush synchronously in the caller (fq_flush_iotlb + fq_ring_free).
      counters.fullFlushes++;
      const t0 = nowInCall(start);
      env.cost.cycles += cyclesOf(flushAll(t0) - t0);
    }
    ring.push({ iova, size: len });
    armTimer();
  }

  function iovaLenOf(phys: number, size: number): number {
    const off = phys % granule;
    return Math.ceil((off + size) / granule) * granule;
  }

  function maintain(dev: DeviceLike, attrs: number): boolean {
    return dev.coherency === 'none' && (attrs & DmaAttr.SKIP_CPU_SYNC) === 0;
  }

  function mapPhys(dev: DeviceLike, phys: number, size: number, prot: number): number {
    const off = phys % granule;
    const len = iovaLenOf(phys, size);
    const iova = cfg.iova.allocIova(len, Math.min(dev.dmaMask, aperture), env.core);
    if (iova < 0) {
      counters.failures++;
      env.dmesg(dev, `iommu: out of IOVA space for ${size} bytes`);
      return DMA_MAPPING_ERROR;
    }
    if (!mapRange(iova, phys - off, len, prot)) {
      cfg.iova.freeIova(iova, len, env.core);
      counters.failures++;
      return DMA_MAPPING_ERROR;
    }
    return iova + off;
  }

  const ops: IommuDmaOps = {
    name: cfg.mode === 'strict' ? 'iommu_dma_ops(strict)' : 'iommu_dma_ops(lazy)',
    table,
    iova: cfg.iova,
    mode: cfg.mode,
    lastCall,
    counters,

    pendingFlush(): number {
      let n = 0;
      for (const r of rings) n += r?.length ?? 0;
      return n;
    },

    flushQueue(): Ps {
      return flushAll(cfg.now());
    },

    mapPage(dev: DeviceLike, phys: number, size: number, dir: DmaDirection, attrs: number): number {
      const start = begin();
      env.cost.cycles += mapOverhead;
      if (maintain(dev, attrs)) syncForDevice(env, phys, size, dir);
      const h = mapPhys(dev, phys, size, dirProt(dir));
      if (h !== DMA_MAPPING_ERROR) counters.maps++;
      end(start);
      return h;
    },

    unmapPage(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection, attrs: number): void {
      const start = begin();
      const phys = table.iovaToPhys(dmaAddr);
      takeTableCycles();
      // An unknown handle (dma-debug reports it) must not stop the simulation: no maintenance, and the
      // unmap below finds nothing to clear.
      if (phys >= 0 && maintain(dev, attrs)) syncForCpu(env, phys, size, dir);
      const off = dmaAddr % granule;
      unmapRange(dev, dmaAddr - off, iovaLenOf(dmaAddr, size), start);
      counters.unmaps++;
      end(start);
    },

    mapSg(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection, attrs: number): number {
      const start = begin();
      env.cost.cycles += mapOverhead;
      if (sg.length === 0) {
        end(start);
        return 0;
      }
      let total = 0;
      for (const s of sg) {
        if (maintain(dev, attrs)) syncForDevice(env, s.phys, s.length, dir);
        total += iovaLenOf(s.phys, s.length);
      }
      // One contiguous IOVA range for the whole list.
      const base = cfg.iova.allocIova(total, Math.min(dev.dmaMask, aperture), env.core);
      if (base < 0) {
        counters.failures++;
        env.dmesg(dev, `iommu: out of IOVA space for a ${sg.length}-entry scatterlist of ${total} bytes`);
        end(start);
        return 0;
      }
      let cursor = base;
      const prot = dirProt(dir);
      for (const s of sg) {
        const off = s.phys % granule;
        const len = iovaLenOf(s.phys, s.length);
        if (!mapRange(cursor, s.phys - off, len, prot)) {
          if (cursor > base) table.unmap(base, cursor - base);
          takeTableCycles();
          cfg.iova.freeIova(base, total, env.core);
          counters.failures++;
          end(start);
          return 0;
        }
        s.dmaAddress = cursor + off;
        s.dmaLength = s.length;
        cursor += len;
      }
      // __finalise_sg: segments that continue exactly where the previous one ended are merged.
      let n = 0;
      for (let i = 0; i < sg.length; i++) {
        const s = sg[i]!;
        const prev = n > 0 ? sg[n - 1]! : undefined;
        if (prev !== undefined && prev.dmaAddress + prev.dmaLength === s.dmaAddress && prev.dmaLength + s.dmaLength <= maxSeg) {
          prev.dmaLength += s.dmaLength;
        } else {
          const t = sg[n]!;
          const a = s.dmaAddress;
          const l = s.dmaLength;
          t.dmaAddress = a;
          t.dmaLength = l;
          n++;
        }
      }
      for (let i = n; i < sg.length; i++) sg[i]!.dmaLength = 0;
      counters.maps++;
      end(start);
      return n;
    },

    unmapSg(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection, attrs: number): void {
      const start = begin();
      if (sg.length === 0) {
        end(start);
        return;
      }
      let total = 0;
      for (const s of sg) {
        if (maintain(dev, attrs)) syncForCpu(env, s.phys, s.length, dir);
        total += iovaLenOf(s.phys, s.length);
      }
      const first = sg[0]!.dmaAddress;
      unmapRange(dev, first - (first % granule), total, start);
      counters.unmaps++;
      end(start);
    },

    syncSingleForCpu(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection): void {
      if (dev.coherency !== 'none') return;
      const phys = table.iovaToPhys(dmaAddr);
      takeTableCycles();
      if (phys >= 0) syncForCpu(env, phys, size, dir);
    },

    syncSingleForDevice(dev: DeviceLike, dmaAddr: number, size: number, dir: DmaDirection): void {
      if (dev.coherency !== 'none') return;
      const phys = table.iovaToPhys(dmaAddr);
      takeTableCycles();
      if (phys >= 0) syncForDevice(env, phys, size, dir);
    },

    syncSgForCpu(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection): void {
      if (dev.coherency !== 'none') return;
      for (const s of sg) syncForCpu(env, s.phys, s.length, dir);
    },

    syncSgForDevice(dev: DeviceLike, sg: ScatterEntry[], dir: DmaDirection): void {
      if (dev.coherency !== 'none') return;
      for (const s of sg) syncForDevice(env, s.phys, s.length, dir);
    },

    // Coherent allocations: the ARM allocator's pages (non-cacheable for a non-coherent master), mapped
    // through the IOMMU so the device sees them at an IOVA.
    alloc(dev: DeviceLike, size: number, attrs: number): CoherentBuffer | null {
      const buf = armAlloc(env, dev, size, attrs, dev.coherency !== 'none');
      if (buf === null) return null;
      const h = mapPhys(dev, buf.phys, size, IOMMU_READ | IOMMU_WRITE);
      if (h === DMA_MAPPING_ERROR) {
        armFree(env, dev, buf);
        return null;
      }
      coherentHandles.set(h, buf.dmaHandle);
      return { ...buf, dmaHandle: h };
    },

    free(dev: DeviceLike, buf: CoherentBuffer): void {
      const own = coherentHandles.get(buf.dmaHandle);
      if (own === undefined) {
        // dma-debug reports the bad free; the ops must not bring the simulation down.
        env.dmesg(dev, `iommu: free of 0x${buf.dmaHandle.toString(16)}, not a coherent allocation of this domain`);
        return;
      }
      coherentHandles.delete(buf.dmaHandle);
      const start = env.cost.cycles;
      unmapRange(dev, buf.dmaHandle - (buf.dmaHandle % granule), iovaLenOf(buf.dmaHandle, buf.size), start);
      armFree(env, dev, { ...buf, dmaHandle: own });
    },

    mmap: (dev, buf, attrs) => armMmap(env, dev, buf, attrs),
    getSgtable: (dev, buf) => armGetSgtable(env, dev, buf),
  };
  return ops;
}

/** Page-table memory carved out of the kernel page allocator, 16 KiB aligned (SYSMMU first-level tables). */
function carveTablePool(env: DmaEnv, bytes: number): TablePool {
  const ps = env.params.pageSize;
  const rounded = Math.ceil(bytes / (16 * 1024)) * 16 * 1024;
  const base = env.memory.pages.alloc(rounded, Math.max(1, (16 * 1024) / ps));
  if (base < 0) throw new IommuDmaError(`createIommuDmaOps: no memory for ${rounded} bytes of IOMMU page tables`);
  return new TablePool(base, rounded);
}

// ---- the iommu-strict / iommu-lazy strategies ----

/**
 * What a device carries in `dev.iommu` for the IOMMU strategies: the IOMMU in front of it and, optionally,
 * a shared domain name (devices naming the same domain share one page table and IOVA space, as devices of
 * one iommu_group do), the IOVA allocator and per-domain overrides.
 */
export interface IommuBinding {
  iommu: Iommu;
  domain?: string;
  /** 'iova-tree' (iova.c, default) or 'arm-bitmap' (arch/arm of 2012), or a ready allocator. */
  iova?: 'iova-tree' | 'arm-bitmap' | IovaSpace;
  config?: Partial<IommuDmaConfig>;
}

/** What the strategies need from the machine: time, the CPU clock, and optionally the event scheduler. */
export interface IommuMachine {
  now: () => Ps;
  cpuClock: CpuClock;
  schedule?: (delay: Ps, fn: () => void) => void;
  /** Defaults for every domain (flush queue size, timeout, forgetTableClean, …). */
  defaults?: Partial<IommuDmaConfig>;
  /** For a device without `dev.iommu`: build its IOMMU (e.g. a SYSMMU named after the master). */
  iommuFor?: (dev: DeviceLike) => Iommu;
  /** arm-bitmap mapping window (arm_iommu_create_mapping base and size). Default 0x20000000, 256 MiB. */
  bitmapBase?: number;
  bitmapBytes?: number;
}


/** The strategy-level ops: one table shared by all devices, forwarding each call to the device's domain. */
export interface IommuStrategyOps extends DmaMapOps {
  /** The domain ops of a device (after attach). */
  domainOf(dev: DeviceLike): IommuDmaOps;
  readonly domains: Map<string, IommuDmaOps>;
}

function createStrategyOps(mode: 'strict' | 'lazy'): IommuStrategyOps & { byDevice: Map<string, IommuDmaOps>; devs: Map<string, DeviceLike> } {
  const byDevice = new Map<string, IommuDmaOps>();
  const devs = new Map<string, DeviceLike>();
  const domains = new Map<string, IommuDmaOps>();
  const d = (dev: DeviceLike): IommuDmaOps => {
    const ops = byDevice.get(dev.name);
    if (ops === undefined) throw new IommuDmaError(`iommu-${mode}: device ${dev.name} is not attached to an IOMMU domain`);
    return ops;
  };
  return {
    name: `iommu_dma_ops(${mode})`,
    byDevice,
    devs,
    domains,
    domainOf: d,
    alloc: (dev, size, attrs) => d(dev).alloc(dev, size, attrs),
    free: (dev, buf, attrs) => d(dev).free(dev, buf, attrs),
    mmap: (dev, buf, attrs) => d(dev).mmap!(dev, buf, attrs),
    getSgtable: (dev, buf) => d(dev).getSgtable!(dev, buf),
    mapPage: (dev, phys, size, dir, attrs) => d(dev).mapPage(dev, phys, size, dir, attrs),
    unmapPage: (dev, h, size, dir, attrs) => d(dev).unmapPage(dev, h, size, dir, attrs),
    mapSg: (dev, sg, dir, attrs) => d(dev).mapSg!(dev, sg, dir, attrs),
    unmapSg: (dev, sg, dir, attrs) => d(dev).unmapSg!(dev, sg, dir, attrs),
    syncSingleForCpu: (dev, h, size, dir) => d(dev).syncSingleForCpu!(dev, h, size, dir),
    syncSingleForDevice: (dev, h, size, dir) => d(dev).syncSingleForDevice!(dev, h, size, dir),
    syncSgForCpu: (dev, sg, dir) => d(dev).syncSgForCpu!(dev, sg, dir),
    syncSgForDevice: (dev, sg, dir) => d(dev).syncSgForDevice!(dev, sg, dir),
  };
}

/** Builds the 'iommu-strict' or 'iommu-lazy' strategy for DmaSystem.registerStrategy. */
export function createIommuStrategy(mode: 'strict' | 'lazy', machine: IommuMachine): DmaStrategy {
  return {
    name: `iommu-${mode}`,
    description:
      mode === 'strict'
        ? 'IOMMU (iommu_dma_ops), IOTLB invalidated synchronously at every unmap'
        : 'IOMMU (iommu_dma_ops), lazy IOTLB invalidation through a flush queue (iommu.strict=0)',
    buffers: 'streaming',
    createOps: () => createStrategyOps(mode),
    attach(ops, dev, env) {
      const s = ops as ReturnType<typeof createStrategyOps>;
      const raw = (dev as { iommu?: unknown }).iommu;
      let binding: IommuBinding;
      if (raw !== undefined && raw !== null && typeof raw === 'object' && 'iommu' in raw) binding = raw as IommuBinding;
      else if (machine.iommuFor !== undefined) binding = { iommu: machine.iommuFor(dev) };
      else throw new IommuDmaError(`iommu-${mode}: device ${dev.name} has no IOMMU (expected dev.iommu = { iommu: Iommu, … })`);
      const domainName = binding.domain ?? `dev:${dev.name}`;
      let domain = s.domains.get(domainName);
      if (domain === undefined) {
        let iova: IovaSpace;
        if (binding.iova === 'arm-bitmap') {
          iova = new BitmapIovaAllocator({ base: machine.bitmapBase ?? 0x2000_0000, size: machine.bitmapBytes ?? 256 << 20, granule: env.params.pageSize });
        } else if (binding.iova === undefined || binding.iova === 'iova-tree') {
          iova = new IovaDomain({ granule: env.params.pageSize, cpus: env.platform.cores });
        } else iova = binding.iova;
        domain = createIommuDmaOps(env, {
          mode,
          format: binding.iommu.format,
          iommus: [binding.iommu],
          iova,
          now: machine.now,
          cpuClock: machine.cpuClock,
          ...(machine.schedule !== undefined ? { schedule: machine.schedule } : {}),
          ...machine.defaults,
          ...binding.config,
        });
        s.domains.set(domainName, domain);
      } else if (binding.iommu.pageTable !== domain.table) {
        // Another IOMMU joining a shared domain: program the same tables.
        binding.iommu.attach(domain.table);
      }
      s.byDevice.set(dev.name, domain);
      s.devs.set(dev.name, dev);
      const devs = s.devs;
      binding.iommu.setViolationSink((v) => {
        env.violation(v.kind, devs.get(v.dev) ?? dev, v.addr, v.size, v.message, v.hint);
      });
    },
    detach(ops, dev) {
      const s = ops as ReturnType<typeof createStrategyOps>;
      s.byDevice.delete(dev.name);
      s.devs.delete(dev.name);
    },
  };
}

/** Registers 'iommu-strict' and 'iommu-lazy' with a DmaSystem (or anything with registerStrategy). */
export function registerIommuStrategies(system: { registerStrategy(s: DmaStrategy): void }, machine: IommuMachine): void {
  system.registerStrategy(createIommuStrategy('strict', machine));
  system.registerStrategy(createIommuStrategy('lazy', machine));
}
