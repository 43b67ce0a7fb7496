// The timeline of a run or a replay, for ui.perfetto.dev, drawn from the trace operations as they happen:
// - "CPU": a track per core with every DMA API call (named like `dma_map_sg fimc 1 ents 3 MiB FROM_DEVICE`,
//   with its cycles and bytes cleaned/invalidated/bounced), the CPU tasks' buffer reads and writes and the
//   interrupt entries;
// - "DMA": a track per device with its accesses (replay: each dev_read/dev_write; live runs: the bus
//   transfers come from SocDmaPort, one lane per in-flight slot, and the device track holds the flow anchors);
// - "Violations": each violation as an instant with its message and hint;
// - counters ("Bus/DRAM" bandwidth per master, "IOMMU" walks/misses/invalidations/faults per window,
//   "Caches" lines held, "DMA pools" usage) sampled every window;
// - flow arrows following one buffer through an ownership cycle: map (or sync for device) → first device
//   access → sync for CPU → the CPU's access, one flow id per cycle.
import type { Tracer, TraceArgs, TraceTrack } from '../emulator/kernel/tracer.ts';
import type { DmaMachine } from '../dma/machine.ts';
import type { TraceHeader, TraceOp } from './schema.ts';
import type { OpEvent } from './replay.ts';
import type { LiveOpInfo, LiveOpSink } from './live-ops.ts';

export interface TimelineOptions {
  /** Width of a counter window in simulated ps (default 100 µs). 0: no counters. */
  counterIntervalPs?: number;
  /** Cache occupancy is sampled every this many windows (walking the tags costs host time; default 10). */
  cacheEveryWindows?: number;
}

interface Flow {
  id: number;
  open: boolean;
  devSeen: boolean;
  cpuSynced: boolean;
  track: TraceTrack;
  tPs: number;
}

const MiB = 1024 * 1024;

/** 3 MiB, 4 KiB, 96 B: sizes as a person reads them. */
export function formatBytes(n: number): string {
  if (n >= MiB && n % (MiB / 8) === 0) return `${n / MiB} MiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(2)} MiB`;
  if (n >= 1024 && n % 128 === 0) return `${n / 1024} KiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** '11800000.fimc' → 'fimc' (the platform device's name without its address). */
export function shortDeviceName(name: string): string {
  const i = name.indexOf('.');
  return i > 0 && /^[0-9a-f]+$/i.test(name.slice(0, i)) ? name.slice(i + 1) : name;
}

const API_NAME: Partial<Record<TraceOp['op'], string>> = {
  map_single: 'dma_map_single',
  map_page: 'dma_map_page',
  unmap_single: 'dma_unmap_single',
  unmap_page: 'dma_unmap_page',
  map_resource: 'dma_map_resource',
  unmap_resource: 'dma_unmap_resource',
  map_sg: 'dma_map_sg',
  unmap_sg: 'dma_unmap_sg',
  mapping_error: 'dma_mapping_error',
  sync_single_for_cpu: 'dma_sync_single_for_cpu',
  sync_single_for_device: 'dma_sync_single_for_device',
  sync_sg_for_cpu: 'dma_sync_sg_for_cpu',
  sync_sg_for_device: 'dma_sync_sg_for_device',
  alloc_coherent: 'dma_alloc_attrs',
  free_coherent: 'dma_free_attrs',
  mmap: 'dma_mmap_attrs',
};

/** The slice name of an API call, e.g. `dma_map_single fimc 3 MiB FROM_DEVICE`. */
export function apiSliceName(op: TraceOp): string | null {
  const fn = API_NAME[op.op];
  if (fn === undefined || !('dev' in op)) return null;
  const dev = shortDeviceName(op.dev);
  switch (op.op) {
    case 'map_single': case 'map_page': case 'map_resource': case 'unmap_single': case 'unmap_page': case 'unmap_resource':
    case 'sync_single_for_cpu': case 'sync_single_for_device':
      return `${fn} ${dev} ${formatBytes(op.size)} ${op.dir}`;
    case 'map_sg': {
      const bytes = op.sg.reduce((s, e) => s + e.len, 0);
      return `${fn} ${dev} ${op.sg.length} ents ${formatBytes(bytes)} ${op.dir}`;
    }
    case 'unmap_sg': case 'sync_sg_for_cpu': case 'sync_sg_for_device':
      return `${fn} ${dev} ${op.nents} ents ${op.dir}`;
    case 'alloc_coherent':
      return `${fn} ${dev} ${formatBytes(op.size)}${op.attrs !== undefined ? ' ' + op.attrs.join('|') : ''}`;
    case 'free_coherent':
      return `${fn} ${dev}${op.size !== undefined ? ' ' + formatBytes(op.size) : ''}`;
    default:
      return `${fn} ${dev}`;
  }
}

export class OpTimeline implements LiveOpSink {
  private machine: DmaMachine | null = null;
  private readonly lastEnd = new Map<TraceTrack, number>();
  private readonly flows = new Map<string, Flow>();
  private readonly handleOfBuf = new Map<string, string>();
  private nextFlow = 1;
  private readonly interval: number;
  private readonly cacheEvery: number;
  private sampling = false;
  /** Start of the counter window in progress (ps). */
  private windowStart = 0;
  private samples = 0;
  private lazy = false;
  private masters: string[] = [];
  private readonly lastBytes = new Map<string, number>();
  private readonly lastIommu = new Map<string, { walks: number; tlbMisses: number; invalidations: number; faults: number }>();
  private violationsSeen = 0;
  private drainMachineViolations = false;
  private violationTrack: TraceTrack | null = null;

  constructor(readonly tracer: Tracer, opts: TimelineOptions = {}) {
    this.interval = opts.counterIntervalPs ?? 100_000_000;
    this.cacheEvery = Math.max(1, opts.cacheEveryWindows ?? 10);
  }

  // ---- LiveOpSink (live runs) ----

  begin(_header: TraceHeader, machine: DmaMachine): void {
    this.attach(machine);
  }

  /**
   * Starts drawing a machine: its bus transfers (sim.tracer) and the counters. A live run samples the
   * counters with a timer event every window (reading state only, so the run is unchanged); a replay
   * (`lazy`) samples at the first operation after a window ended, so a long idle gap costs one sample.
   */
  attach(machine: DmaMachine, lazy = false): void {
    this.machine = machine;
    machine.soc.sim.tracer = this.tracer;
    if (this.interval > 0 && !this.sampling) {
      this.sampling = true;
      this.lazy = lazy;
      this.windowStart = machine.soc.sim.now;
      this.refreshMasters();
      // Counters start from what the machine already did (set-up before the timeline was attached).
      for (const name of this.masters) this.lastBytes.set(name, machine.soc.sim.stats.counter(`bus.${name}.bytes`).value);
      if (!lazy) {
        const tick = (): void => {
          if (!this.sampling) return;
          this.sample(this.windowStart, this.interval);
          this.windowStart += this.interval;
          machine.soc.sim.schedule(this.interval, tick);
        };
        machine.soc.sim.schedule(this.interval, tick);
      }
    }
  }

  /** Lazy sampling: one sample holding the average over the whole windows elapsed, placed at their start. */
  private maybeSample(): void {
    const m = this.machine;
    if (!this.sampling || !this.lazy || m === null) return;
    const now = m.soc.sim.now;
    const k = Math.floor((now - this.windowStart) / this.interval);
    if (k < 1) return;
    this.sample(this.windowStart, k * this.interval);
    this.windowStart += k * this.interval;
  }

  op(op: TraceOp, _index: number, info: LiveOpInfo): void {
    this.maybeSample();
    const tr = this.tracer;
    const api = apiSliceName(op);
    if (api !== null) {
      const track = this.cpuTrack(info.core);
      const t = this.place(track, info.startPs, info.durPs);
      const args: TraceArgs = { handle: (op as { handle: string }).handle };
      if (info.dma !== null) {
        args['cycles'] = info.dma.cycles;
        args['bytesCleaned'] = info.dma.bytesCleaned;
        args['bytesInvalidated'] = info.dma.bytesInvalidated;
        args['bytesFlushed'] = info.dma.bytesFlushed;
        args['bytesBounced'] = info.dma.bytesBounced;
      }
      tr.slice(track, api, t, info.durPs, args);
      this.flowOnApi(op, track, t);
      return;
    }
    switch (op.op) {
      case 'cpu_read': case 'cpu_write': case 'prefetch': case 'evict': {
        const track = this.cpuTrack(info.core);
        const t = this.place(track, info.startPs, info.durPs);
        tr.slice(track, `${op.op} ${op.buf} ${formatBytes(op.len)}`, t, info.durPs, { buf: op.buf, offset: op.offset, len: op.len });
        const h = this.handleOfBuf.get(op.buf);
        const f = h !== undefined ? this.flows.get(h) : undefined;
        if (f !== undefined && f.open && (f.devSeen || f.cpuSynced)) this.endFlow(f, track, t);
        return;
      }
      case 'dev_read': case 'dev_write': {
        const f = this.flows.get(op.handle);
        const anchor = f !== undefined && f.open && !f.devSeen;
        if (info.durPs <= 0 && !anchor) return; // live runs: the bus transfers are drawn by the port
        const track = tr.track('DMA', op.dev);
        const t = this.place(track, info.startPs, info.durPs);
        tr.slice(track, `${op.op} ${op.handle} ${formatBytes(op.len)}`, t, info.durPs, { handle: op.handle, offset: op.offset, len: op.len });
        if (anchor) {
          f.devSeen = true;
          this.stepFlow(f, track, t);
        }
        return;
      }
      case 'interrupt': {
        const track = this.cpuTrack(info.core);
        const t = this.place(track, info.startPs, info.durPs);
        tr.slice(track, `irq ${shortDeviceName(op.dev)}`, t, info.durPs, { dev: op.dev });
        return;
      }
      case 'violation':
        this.violation(op.violation.kind, info.startPs, { message: op.violation.message, hint: op.violation.hint, dev: op.violation.dev, addr: op.violation.addr, op: op.violation.op });
        return;
      case 'delay': case 'wmb': {
        if (info.durPs <= 0) return;
        const track = this.cpuTrack(info.core);
        tr.slice(track, op.op, this.place(track, info.startPs, info.durPs), info.durPs);
        return;
      }
      default:
        return;
    }
  }

  end(_endPs?: number): void {
    this.drainViolations();
    for (const f of this.flows.values()) if (f.open) this.endFlow(f, f.track, f.tPs);
    if (this.sampling && this.machine !== null) {
      const now = this.machine.soc.sim.now;
      if (now > this.windowStart) this.sample(this.windowStart, now - this.windowStart);
    }
    this.sampling = false;
    if (this.machine !== null && this.machine.soc.sim.tracer === this.tracer) this.machine.soc.sim.tracer = null;
  }

  // ---- replay ----

  /** Use as ReplayOptions.onOp; call attachReplay(replayer.machine) once the Replayer exists. */
  readonly onReplayOp = (e: OpEvent): void => {
    const isDev = e.op.op === 'dev_read' || e.op.op === 'dev_write';
    this.op(e.op, e.index, { startPs: e.startPs, durPs: Math.max(0, e.endPs - e.startPs), core: isDev ? -1 : 0, dma: e.dma });
    this.drainViolations();
  };

  /** Replays record no violation ops: the timeline takes them from the machine's list after each op. */
  attachReplay(machine: DmaMachine): void {
    this.drainMachineViolations = true;
    this.attach(machine, true);
  }

  // ---- helpers ----

  private cpuTrack(core: number): TraceTrack {
    return this.tracer.track('CPU', `cpu${core < 0 ? 0 : core}`);
  }

  /** Start of a slice on a track: never before the previous slice there ended (keeps lanes ordered). */
  private place(track: TraceTrack, startPs: number, durPs: number): number {
    const t = Math.max(startPs, this.lastEnd.get(track) ?? 0);
    this.lastEnd.set(track, t + Math.max(0, durPs));
    return t;
  }

  private violation(kind: string, tPs: number, args: TraceArgs): void {
    if (this.violationTrack === null) this.violationTrack = this.tracer.track('Violations', 'violations');
    const track = this.violationTrack;
    this.tracer.instant(track, kind, this.place(track, tPs, 0), args);
  }

  private drainViolations(): void {
    if (!this.drainMachineViolations || this.machine === null) return;
    const vs = this.machine.violations;
    const now = this.machine.soc.sim.now;
    while (this.violationsSeen < vs.length) {
      const v = vs[this.violationsSeen++]!;
      this.violation(v.kind, now, { message: v.message, hint: v.hint, dev: v.dev, addr: v.addr, op: v.op });
    }
  }

  private flowOnApi(op: TraceOp, track: TraceTrack, t: number): void {
    switch (op.op) {
      case 'map_single': case 'map_page':
        this.handleOfBuf.set(op.buf, op.handle);
        this.startFlow(op.handle, track, t);
        return;
      case 'map_sg':
        for (const e of op.sg) this.handleOfBuf.set(e.buf, op.handle);
        this.startFlow(op.handle, track, t);
        return;
      case 'alloc_coherent':
        if (op.buf !== undefined) this.handleOfBuf.set(op.buf, op.handle);
        this.startFlow(op.handle, track, t);
        return;
      case 'mmap':
        this.handleOfBuf.set(op.buf, op.handle);
        return;
      case 'sync_single_for_device': case 'sync_sg_for_device':
        this.startFlow(op.handle, track, t);
        return;
      case 'sync_single_for_cpu': case 'sync_sg_for_cpu': {
        const f = this.flows.get(op.handle);
        if (f !== undefined && f.open) {
          f.cpuSynced = true;
          this.stepFlow(f, track, t);
        }
        return;
      }
      case 'unmap_single': case 'unmap_page': case 'unmap_sg': case 'unmap_resource': case 'free_coherent': {
        const f = this.flows.get(op.handle);
        if (f !== undefined && f.open) this.endFlow(f, track, t);
        return;
      }
      default:
        return;
    }
  }

  /** A new ownership cycle for a handle (ending the previous one here when it is still open). */
  private startFlow(handle: string, track: TraceTrack, t: number): void {
    const prev = this.flows.get(handle);
    if (prev !== undefined && prev.open) this.endFlow(prev, track, t);
    const f: Flow = { id: this.nextFlow++, open: true, devSeen: false, cpuSynced: false, track, tPs: t };
    this.flows.set(handle, f);
    this.tracer.flow('start', f.id, track, t);
  }

  private stepFlow(f: Flow, track: TraceTrack, t: number): void {
    f.track = track;
    f.tPs = t;
    this.tracer.flow('step', f.id, track, t);
  }

  private endFlow(f: Flow, track: TraceTrack, t: number): void {
    f.open = false;
    this.tracer.flow('end', f.id, track, t);
  }

  private refreshMasters(): void {
    if (this.machine === null) return;
    this.masters = this.machine.soc.interconnect.report().masters.map((m) => m.name);
  }

  /** Counters over [at, at+spanPs): bus bandwidth per master, IOMMU activity, DMA pools, cache lines. */
  private sample(at: number, spanPs: number): void {
    const m = this.machine;
    if (m === null) return;
    const { sim } = m.soc;
    const now = at;
    const perSecond = 1e12 / spanPs;
    if (this.samples % 100 === 0) this.refreshMasters();
    const bw: Record<string, number> = {};
    let total = 0;
    for (const name of this.masters) {
      const bytes = sim.stats.counter(`bus.${name}.bytes`).value;
      const d = bytes - (this.lastBytes.get(name) ?? 0);
      this.lastBytes.set(name, bytes);
      total += d;
      bw[name] = Math.round((d * perSecond) / 1e4) / 100; // MB/s, 2 decimals
    }
    bw['total'] = Math.round((total * perSecond) / 1e4) / 100;
    this.tracer.counter('Bus/DRAM', 'bandwidth MB/s', now, bw);
    const u = m.sys.memoryUsage();
    this.tracer.counter('DMA pools', 'pool usage', now, {
      cmaBytes: u.cmaUsed,
      consistentBytes: u.consistentUsed,
      atomicPoolBytes: u.atomicPoolUsed,
      pagesBytes: u.pagesUsed,
      swiotlbSlots: u.swiotlbUsedSlots,
    });
    // IOMMU activity per window for devices behind one (their Iommu exists from addDevice on).
    for (const dev of m.sys.devices.values()) {
      if (!dev.ops.name.startsWith('iommu')) continue;
      const p = `iommu.sysmmu-${dev.name}.`;
      const cur = {
        walks: sim.stats.counter(`${p}walks`).value,
        tlbMisses: sim.stats.counter(`${p}tlb_misses`).value,
        invalidations: sim.stats.counter(`${p}invalidate_entry`).value + sim.stats.counter(`${p}invalidate_all`).value,
        faults: sim.stats.counter(`${p}faults`).value,
      };
      const prev = this.lastIommu.get(dev.name) ?? { walks: 0, tlbMisses: 0, invalidations: 0, faults: 0 };
      this.lastIommu.set(dev.name, cur);
      this.tracer.counter('IOMMU', `${shortDeviceName(dev.name)} per window`, now, {
        walks: cur.walks - prev.walks,
        tlbMisses: cur.tlbMisses - prev.tlbMisses,
        invalidations: cur.invalidations - prev.invalidations,
        faults: cur.faults - prev.faults,
      });
    }
    if (this.samples % this.cacheEvery === 0) {
      const mem = m.soc.memory;
      const lines: Record<string, number> = {};
      mem.l1d.forEach((c, i) => (lines[`l1d.cpu${i}`] = c.validLines()));
      lines['l2'] = mem.l2.cache.validLines();
      this.tracer.counter('Caches', 'valid lines', now, lines);
    }
    this.samples++;
  }
}
