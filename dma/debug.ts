// dma-debug (kernel/dma/debug.c): tracks every live mapping per (device, DMA address) and reports API
// misuse with the kernel's message texts, prefixed "DMA-API: <driver> <device>: ". Like the kernel's
// cacheline tracker it records only the first cache line of each non-TO_DEVICE mapping, with an overlap
// count, and reports EEXIST when a second mapping starts in a line that is already mapped.
import { debugDirectionName, hex16 } from './attrs.ts';
import { DMA_MAPPING_ERROR, DmaAttr, DmaDirection } from './types.ts';
import type { DeviceLike, ScatterEntry } from './types.ts';
import type { ApiViolationKind, ViolationSink } from './violation.ts';

export type DebugMapType = 'single' | 'scather-gather' | 'coherent' | 'resource';

const enum MapErr {
  NotChecked = 0,
  Checked = 1,
  NotApplicable = 2,
}

interface DebugEntry {
  type: DebugMapType;
  dev: DeviceLike;
  devAddr: number;
  size: number;
  dir: DmaDirection;
  /** Physical address of the CPU buffer (the original, even when bounced). */
  paddr: number;
  /** CPU virtual address of a coherent allocation. */
  cpuAddr: number;
  sgCallEnts: number;
  sgMappedEnts: number;
  mapErr: MapErr;
  ignoreCachelines: boolean;
  /** Insertion number: the oldest entry is "one of leaked entries". */
  seq: number;
  /** Whether this entry holds a cacheline-tracker reference. */
  tracked: boolean;
}

/** The kernel's limit of overlapping mappings counted per cache line (ACTIVE_CACHELINE_MAX_OVERLAP). */
const MAX_OVERLAP = 7;

const HINTS: Record<ApiViolationKind, string> = {
  'unmap-unknown': 'unmap only what dma_map_*() returned, once: pass the exact handle (check for a double unmap or a stale handle)',
  'unmap-size-mismatch': 'pass dma_unmap_*() the same size that was given to dma_map_*()',
  'unmap-dir-mismatch': 'pass dma_unmap_*() the same direction that was given to dma_map_*()',
  'unmap-wrong-function': 'release with the counterpart of the map call (dma_unmap_single/page, dma_unmap_sg, dma_free_coherent, dma_unmap_resource)',
  'sg-count-mismatch': 'pass the nents given to dma_map_sg() (not its return value) to dma_unmap_sg() and the sg syncs',
  'sync-unmapped': 'sync only a live mapping: sync before dma_unmap_*() and with the handle dma_map_*() returned',
  'sync-out-of-range': 'keep offset+size of dma_sync_*() inside the mapped size',
  'sync-dir-mismatch': 'sync with the direction the buffer was mapped with (map BIDIRECTIONAL if the device both reads and writes it)',
  'map-error-unchecked': 'check every handle with dma_mapping_error() before using it',
  'overlapping-cacheline': 'align the buffer to the cache line (ARCH_DMA_MINALIGN / ____cacheline_aligned) so mappings do not share a line, or let it bounce',
  'leaked-mapping': 'unmap or free every DMA mapping in the driver\'s remove/error path before the device is released',
  'free-mismatch': 'pass dma_free_coherent() the size and CPU address that dma_alloc_coherent() returned',
};

export function debugHint(kind: ApiViolationKind): string {
  return HINTS[kind];
}

export interface DebugUnmapRef {
  dev: DeviceLike;
  devAddr: number;
  size: number;
  dir: DmaDirection;
  type: DebugMapType;
  cpuAddr?: number;
  sgCallEnts?: number;
}

export class DmaDebug {
  enabled: boolean;
  private readonly sink: ViolationSink;
  private readonly lineShift: number;
  private readonly live = new Map<DeviceLike, Map<number, DebugEntry[]>>();
  private readonly cachelines = new Map<number, number>();
  private seq = 0;
  private count = 0;
  /** Messages that are warnings without a violation kind (overlap limit). */
  readonly warnings: string[] = [];

  constructor(sink: ViolationSink, lineSize: number, enabled = true) {
    if ((lineSize & (lineSize - 1)) !== 0 || lineSize < 4) throw new TypeError(`DmaDebug: line size must be a power of two, got ${lineSize}`);
    this.sink = sink;
    this.lineShift = Math.log2(lineSize);
    this.enabled = enabled;
  }

  /** Number of live entries (all devices). */
  get liveEntries(): number {
    return this.count;
  }

  /** Live entries of one device. */
  entriesOf(dev: DeviceLike): number {
    let n = 0;
    const m = this.live.get(dev);
    if (m !== undefined) for (const list of m.values()) n += list.length;
    return n;
  }

  // ---- map side ----

  mapSingle(dev: DeviceLike, paddr: number, devAddr: number, size: number, dir: DmaDirection, attrs: number, type: 'single' | 'resource' = 'single', bounced = false): void {
    if (devAddr === DMA_MAPPING_ERROR) return;
    this.add(this.entry(type, dev, devAddr, size, dir, paddr, 0, 0, 0, attrs), attrs, bounced);
  }

  /** dma_alloc_pages / dma_alloc_noncoherent: tracked as a single mapping that needs no error check. */
  allocPages(dev: DeviceLike, paddr: number, devAddr: number, size: number, dir: DmaDirection): void {
    if (devAddr === DMA_MAPPING_ERROR) return;
    const e = this.entry('single', dev, devAddr, size, dir, paddr, 0, 0, 0, 0);
    e.mapErr = MapErr.NotApplicable;
    this.add(e, 0, false);
  }

  mapSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, mapped: number, dir: DmaDirection, attrs: number, bounced?: readonly boolean[]): void {
    if (mapped <= 0) return;
    for (let i = 0; i < mapped; i++) {
      const s = sg[i]!;
      const e = this.entry('scather-gather', dev, s.dmaAddress, s.dmaLength, dir, s.phys, 0, nents, mapped, attrs);
      // dma_map_sg returns a count, not a handle: there is nothing for dma_mapping_error to check.
      e.mapErr = MapErr.NotApplicable;
      this.add(e, attrs, bounced?.[i] ?? false);
    }
  }

  allocCoherent(dev: DeviceLike, size: number, devAddr: number, cpuAddr: number, paddr: number, attrs: number): void {
    if (devAddr === DMA_MAPPING_ERROR) return;
    const e = this.entry('coherent', dev, devAddr, size, DmaDirection.BIDIRECTIONAL, paddr, cpuAddr, 0, 0, attrs);
    // Allocations are not streaming handles: the kernel does not require dma_mapping_error() on them.
    e.mapErr = MapErr.NotApplicable;
    this.add(e, attrs, false);
  }

  /** debug_dma_mapping_error: the driver checked this handle. */
  mappingError(dev: DeviceLike, devAddr: number): void {
    const list = this.live.get(dev)?.get(devAddr);
    if (list === undefined) return;
    for (const e of list) {
      if (e.mapErr === MapErr.NotChecked) {
        e.mapErr = MapErr.Checked;
        break;
      }
    }
  }

  // ---- unmap side ----

  /** check_unmap: reports every mismatch, then forgets the entry. Returns false when nothing matched. */
  unmap(ref: DebugUnmapRef): boolean {
    const { dev, devAddr, size, dir, type } = ref;
    const entry = this.findBest(ref);
    if (entry === undefined) {
      if (devAddr === DMA_MAPPING_ERROR) {
        this.report('unmap-unknown', dev, devAddr, size, 'device driver tries to free an invalid DMA memory address');
      } else {
        this.report('unmap-unknown', dev, devAddr, size, `device driver tries to free DMA memory it has not allocated [device address=${hex16(devAddr)}] [size=${size} bytes]`);
      }
      return false;
    }
    if (entry.size !== size) {
      this.report('unmap-size-mismatch', dev, devAddr, entry.size, `device driver frees DMA memory with different size [device address=${hex16(devAddr)}] [map size=${entry.size} bytes] [unmap size=${size} bytes]`);
    }
    if (entry.type !== type) {
      this.report('unmap-wrong-function', dev, devAddr, entry.size, `device driver frees DMA memory with wrong function [device address=${hex16(devAddr)}] [size=${entry.size} bytes] [mapped as ${entry.type}] [unmapped as ${type}]`);
    } else if (type === 'coherent' && ref.cpuAddr !== undefined && ref.cpuAddr !== entry.cpuAddr) {
      this.report('free-mismatch', dev, devAddr, entry.size, `device driver frees DMA memory with different CPU address [device address=${hex16(devAddr)}] [size=${entry.size} bytes] [cpu alloc address=${hex16(entry.cpuAddr)}] [cpu free address=${hex16(ref.cpuAddr)}]`);
    }
    if (ref.sgCallEnts !== undefined && ref.sgCallEnts !== 0 && entry.type === 'scather-gather' && ref.sgCallEnts !== entry.sgCallEnts) {
      this.report('sg-count-mismatch', dev, devAddr, entry.size, `device driver frees DMA sg list with different entry count [map count=${entry.sgCallEnts}] [unmap count=${ref.sgCallEnts}]`);
    }
    if (entry.dir !== dir) {
      this.report('unmap-dir-mismatch', dev, devAddr, entry.size, `device driver frees DMA memory with different direction [device address=${hex16(devAddr)}] [size=${entry.size} bytes] [mapped with ${debugDirectionName(entry.dir)}] [unmapped with ${debugDirectionName(dir)}]`);
    }
    if (entry.mapErr === MapErr.NotChecked) {
      this.report('map-error-unchecked', dev, devAddr, entry.size, `device driver failed to check map error[device address=${hex16(devAddr)}] [size=${entry.size} bytes] [mapped as ${entry.type}]`);
    }
    this.remove(entry);
    return true;
  }

  /** debug_dma_unmap_sg: checks each mapped entry with the caller's nelems. */
  unmapSg(dev: DeviceLike, sg: readonly ScatterEntry[], nelems: number, dir: DmaDirection): void {
    let mapped = 0;
    for (let i = 0; i < nelems && i < sg.length; i++) {
      const s = sg[i]!;
      const ref: DebugUnmapRef = { dev, devAddr: s.dmaAddress, size: s.dmaLength, dir, type: 'scather-gather', sgCallEnts: nelems };
      if (i === 0) mapped = this.mappedEntries(ref);
      // The kernel silently skips a list it cannot find; dmasim reports its first entry as unknown.
      if (i === 0 && mapped === 0) {
        this.unmap(ref);
        break;
      }
      if (i >= mapped) break;
      this.unmap(ref);
    }
  }

  freeCoherent(dev: DeviceLike, size: number, cpuAddr: number, devAddr: number): void {
    this.unmap({ dev, devAddr, size, dir: DmaDirection.BIDIRECTIONAL, type: 'coherent', cpuAddr });
  }

  // ---- sync side ----

  /** check_sync for dma_sync_single_for_cpu/device (also the range variants: `devAddr` may be inside). */
  syncSingle(dev: DeviceLike, devAddr: number, size: number, dir: DmaDirection, toCpu: boolean, sgCallEnts = 0): void {
    const entry = this.findContaining(dev, devAddr);
    if (entry === undefined) {
      this.report('sync-unmapped', dev, devAddr, size, `device driver tries to sync DMA memory it has not allocated [device address=${hex16(devAddr)}] [size=${size} bytes]`);
      return;
    }
    const end = devAddr - entry.devAddr + size;
    if (end > entry.size) {
      this.report('sync-out-of-range', dev, entry.devAddr, entry.size, `device driver syncs DMA memory outside allocated range [device address=${hex16(entry.devAddr)}] [allocation size=${entry.size} bytes] [sync offset+size=${end}]`);
    }
    if (sgCallEnts !== 0 && entry.type === 'scather-gather' && sgCallEnts !== entry.sgCallEnts) {
      this.report('sg-count-mismatch', dev, devAddr, entry.size, `device driver syncs DMA sg list with different entry count [map count=${entry.sgCallEnts}] [sync count=${sgCallEnts}]`);
    }
    if (entry.dir === DmaDirection.BIDIRECTIONAL) return;
    const mapped = debugDirectionName(entry.dir);
    const synced = debugDirectionName(dir);
    if (dir !== entry.dir) {
      this.report('sync-dir-mismatch', dev, devAddr, size, `device driver syncs DMA memory with different direction [device address=${hex16(devAddr)}] [size=${size} bytes] [mapped with ${mapped}] [synced with ${synced}]`);
    }
    if (toCpu && entry.dir !== DmaDirection.FROM_DEVICE && dir !== DmaDirection.TO_DEVICE) {
      this.report('sync-dir-mismatch', dev, devAddr, size, `device driver syncs device read-only DMA memory for cpu [device address=${hex16(devAddr)}] [size=${size} bytes] [mapped with ${mapped}] [synced with ${synced}]`);
    }
    if (!toCpu && entry.dir !== DmaDirection.TO_DEVICE && dir !== DmaDirection.FROM_DEVICE) {
      this.report('sync-dir-mismatch', dev, devAddr, size, `device driver syncs device write-only DMA memory to device [device address=${hex16(devAddr)}] [size=${size} bytes] [mapped with ${mapped}] [synced with ${synced}]`);
    }
  }

  syncSg(dev: DeviceLike, sg: readonly ScatterEntry[], nelems: number, dir: DmaDirection, toCpu: boolean): void {
    let mapped = 0;
    for (let i = 0; i < nelems && i < sg.length; i++) {
      const s = sg[i]!;
      if (i === 0) mapped = this.mappedEntries({ dev, devAddr: s.dmaAddress, size: s.dmaLength, dir, type: 'scather-gather', sgCallEnts: nelems });
      if (i === 0 && mapped === 0) {
        this.syncSingle(dev, s.dmaAddress, s.dmaLength, dir, toCpu, nelems);
        break;
      }
      if (i >= mapped) break;
      this.syncSingle(dev, s.dmaAddress, s.dmaLength, dir, toCpu, nelems);
    }
  }

  // ---- device removal ----

  /** The driver is unbound: reports pending mappings (text 20) and forgets them. Returns the count. */
  removeDevice(dev: DeviceLike): number {
    const m = this.live.get(dev);
    if (m === undefined) return 0;
    let oldest: DebugEntry | undefined;
    let n = 0;
    for (const list of m.values()) {
      for (const e of list) {
        n++;
        if (oldest === undefined || e.seq < oldest.seq) oldest = e;
      }
    }
    if (oldest !== undefined) {
      this.report(
        'leaked-mapping',
        dev,
        oldest.devAddr,
        oldest.size,
        `device driver has pending DMA allocations while released from device [count=${n}]\n` +
          `One of leaked entries details: [device address=${hex16(oldest.devAddr)}] [size=${oldest.size} bytes] [mapped with ${debugDirectionName(oldest.dir)}] [mapped as ${oldest.type}]`,
      );
      for (const list of [...m.values()]) for (const e of [...list]) this.remove(e);
    }
    this.live.delete(dev);
    return n;
  }

  // ---- internals ----

  private entry(type: DebugMapType, dev: DeviceLike, devAddr: number, size: number, dir: DmaDirection, paddr: number, cpuAddr: number, sgCallEnts: number, sgMappedEnts: number, attrs: number): DebugEntry {
    return {
      type,
      dev,
      devAddr,
      size,
      dir,
      paddr,
      cpuAddr,
      sgCallEnts,
      sgMappedEnts,
      mapErr: MapErr.NotChecked,
      ignoreCachelines: (attrs & DmaAttr.DEBUGGING_IGNORE_CACHELINES) !== 0,
      seq: this.seq++,
      tracked: false,
    };
  }

  private add(e: DebugEntry, attrs: number, bounced: boolean): void {
    let m = this.live.get(e.dev);
    if (m === undefined) {
      m = new Map();
      this.live.set(e.dev, m);
    }
    const list = m.get(e.devAddr);
    if (list === undefined) m.set(e.devAddr, [e]);
    else list.push(e);
    this.count++;
    if (e.dir === DmaDirection.TO_DEVICE) return;
    const cln = Math.floor(e.paddr / 2 ** this.lineShift);
    const overlap = this.cachelines.get(cln);
    e.tracked = true;
    if (overlap === undefined) {
      this.cachelines.set(cln, 0);
      return;
    }
    if (overlap >= MAX_OVERLAP) {
      this.warnings.push(`DMA-API: exceeded ${MAX_OVERLAP} overlapping mappings of cacheline ${hex16(cln * 2 ** this.lineShift)}`);
      e.tracked = false;
    } else {
      this.cachelines.set(cln, overlap + 1);
    }
    const bothIgnore = e.ignoreCachelines && this.lineOwnerIgnores(cln, e);
    const suppressed = (attrs & (DmaAttr.SKIP_CPU_SYNC | DmaAttr.REQUIRE_COHERENT)) !== 0 || bothIgnore || bounced;
    if (!suppressed) {
      this.report('overlapping-cacheline', e.dev, e.devAddr, e.size, 'cacheline tracking EEXIST, overlapping mappings aren\'t supported');
    }
  }

  /** Whether another live, tracked entry in line `cln` was mapped with DEBUGGING_IGNORE_CACHELINES. */
  private lineOwnerIgnores(cln: number, self: DebugEntry): boolean {
    for (const m of this.live.values()) {
      for (const list of m.values()) {
        for (const o of list) {
          if (o !== self && o.tracked && Math.floor(o.paddr / 2 ** this.lineShift) === cln) return o.ignoreCachelines;
        }
      }
    }
    return false;
  }

  private remove(e: DebugEntry): void {
    const m = this.live.get(e.dev);
    const list = m?.get(e.devAddr);
    if (m === undefined || list === undefined) return;
    const i = list.indexOf(e);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) m.delete(e.devAddr);
    this.count--;
    if (!e.tracked) return;
    const cln = Math.floor(e.paddr / 2 ** this.lineShift);
    const overlap = this.cachelines.get(cln);
    if (overlap === undefined) return;
    if (overlap === 0) this.cachelines.delete(cln);
    else this.cachelines.set(cln, overlap - 1);
  }

  /** hash_bucket_find: an exact (device, address) match, the best one when several share the address. */
  private findBest(ref: DebugUnmapRef): DebugEntry | undefined {
    const list = this.live.get(ref.dev)?.get(ref.devAddr);
    if (list === undefined || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    let best = list[0]!;
    let bestScore = -1;
    for (const e of list) {
      const score = (e.size === ref.size ? 1 : 0) + (e.type === ref.type ? 1 : 0) + (e.dir === ref.dir ? 1 : 0) + (e.sgCallEnts === (ref.sgCallEnts ?? 0) ? 1 : 0);
      if (score > bestScore) {
        best = e;
        bestScore = score;
      }
    }
    return best;
  }

  /** bucket_find_contain: the live entry of `dev` whose range holds `devAddr`. */
  private findContaining(dev: DeviceLike, devAddr: number): DebugEntry | undefined {
    const m = this.live.get(dev);
    if (m === undefined) return undefined;
    const exact = m.get(devAddr);
    if (exact !== undefined && exact.length > 0) return exact[0];
    for (const list of m.values()) for (const e of list) if (devAddr >= e.devAddr && devAddr < e.devAddr + e.size) return e;
    return undefined;
  }

  /** get_nr_mapped_entries: how many entries dma_map_sg actually mapped for this list. */
  private mappedEntries(ref: DebugUnmapRef): number {
    const e = this.findBest(ref);
    return e === undefined ? 0 : e.sgMappedEnts;
  }

  private report(kind: ApiViolationKind, dev: DeviceLike, addr: number, size: number, text: string): void {
    this.sink(kind, dev.name, addr, size, `DMA-API: ${dev.driver} ${dev.name}: ${text}`, HINTS[kind]);
  }
}
