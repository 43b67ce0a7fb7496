// The live side of the trace: turns what a running machine does (DMA API calls heard through
// DmaSystem.recorder, device data moves heard through SocDmaPort.tap, CPU accesses and interrupts reported
// by the scenario, violations as the list grows) into trace operations of the DESIGN form, in order, and
// hands each to its sinks (the file recorder, the Perfetto timeline) as it happens.
//
// Names: physical pages become `alloc_pages` buffers `pa_<hex>` the first time a range is referenced (as
// the ftrace importer names them), coherent allocations `coh<n>`, user mappings `u<n>`, every mapping gets
// a handle `h<n>`. A device access is recorded against the live mapping that covers its DMA address, or
// the most recent dead one (stale use after unmap replays as such).
import type { DmaMachine } from '../dma/machine.ts';
import type { DmaApiRecorder } from '../dma/env.ts';
import type { DmaCallCost } from '../dma/cost.ts';
import { DmaAttr, DMA_MAPPING_ERROR } from '../dma/types.ts';
import type { CoherentBuffer, DeviceLike, DmaDirection, ScatterEntry, UserMapping } from '../dma/types.ts';
import type { Device } from '../dma/device.ts';
import type { ScenarioInfo, ScenarioObserver } from '../devices/scenarios/observer.ts';
import { DMA_ATTR_BIT, directionName } from './kernel-names.ts';
import type { DmaAttrName, DmaDir } from './kernel-names.ts';
import { TRACE_VERSION } from './schema.ts';
import type { SgEntry, TraceHeader, TraceOp } from './schema.ts';

/** When and where an operation ran. */
export interface LiveOpInfo {
  startPs: number;
  durPs: number;
  /** The CPU core for CPU-side operations (API calls, CPU accesses, interrupts); -1 for device accesses. */
  core: number;
  /** The DMA layer's cost of an API call (a copy), else null. */
  dma: DmaCallCost | null;
}

/** Where the operations go. `begin` comes first, once; `end` at the end of the run. */
export interface LiveOpSink {
  begin?(header: TraceHeader, machine: DmaMachine): void;
  op(op: TraceOp, index: number, info: LiveOpInfo): void;
  end?(endPs: number): void;
}

/** What could not be expressed as trace operations (kept as counts, reported by the caller). */
export interface LiveOpStats {
  ops: number;
  /** Device bytes at DMA addresses no mapping of the device ever covered. */
  unmappedDeviceBytes: number;
  /** sg unmaps/syncs of lists that were never mapped (the replayer could not name them). */
  unknownSgCalls: number;
}

interface Region { name: string; start: number; end: number; coherentOf: Mapping | null }

interface Mapping {
  name: string;
  dev: string;
  kind: 'single' | 'sg' | 'coherent' | 'resource';
  /** DMA segments as [dma, len, dma, len, …]. */
  segs: number[];
  live: boolean;
}

const DEAD_KEPT = 64;
const ATTR_NAMES = Object.keys(DMA_ATTR_BIT) as DmaAttrName[];
const MAX_TEXT = 4096;

function attrNames(mask: number): DmaAttrName[] | undefined {
  if (mask === 0) return undefined;
  const out: DmaAttrName[] = [];
  const bits = DmaAttr as Record<string, number>;
  for (const n of ATTR_NAMES) {
    const b = bits[n];
    if (b !== undefined && (mask & b) !== 0) out.push(n);
  }
  return out.length > 0 ? out : undefined;
}

function dirName(d: DmaDirection): DmaDir {
  return (directionName(d) ?? 'BIDIRECTIONAL') as DmaDir;
}

function hex(n: number): string {
  return n.toString(16);
}

/** The DMA mask as a number of address bits (0xffffffff → 32). */
export function maskBits(mask: number): number {
  const bits = Math.round(Math.log2(mask + 1));
  return Math.min(64, Math.max(1, Number.isFinite(bits) ? bits : 64));
}

export class LiveOps implements ScenarioObserver, DmaApiRecorder {
  readonly stats: LiveOpStats = { ops: 0, unmappedDeviceBytes: 0, unknownSgCalls: 0 };
  private machine: DmaMachine | null = null;
  private readonly devices = new Set<string>();
  private readonly regions: Region[] = [];
  private readonly regionNames = new Set<string>();
  private readonly mappings = new Map<string, Mapping[]>();
  private handles = 0;
  private buffers = 0;
  private violationsSeen = 0;
  private lastMain = -1;

  constructor(private readonly sinks: readonly LiveOpSink[]) {}

  // ---- ScenarioObserver ----

  attach(machine: DmaMachine, info: ScenarioInfo): void {
    this.machine = machine;
    machine.sys.recorder = this;
    const header: TraceHeader = { dmasim: 'trace', version: TRACE_VERSION, soc: info.soc, seed: info.seed >>> 0, strategy: info.strategy };
    for (const s of this.sinks) s.begin?.(header, machine);
  }

  cpuAccess(core: number, pa: number, len: number, isWrite: boolean, startPs: number, durPs: number): void {
    if (len <= 0) return;
    const { buf, offset } = this.region(pa, len);
    const info: LiveOpInfo = { startPs, durPs, core, dma: null };
    this.main(isWrite ? { op: 'cpu_write', t: this.t(), buf, offset, len, byte: 0 } : { op: 'cpu_read', t: this.t(), buf, offset, len }, info);
  }

  interrupt(dev: Device, core: number, startPs: number, durPs: number): void {
    this.device(dev);
    this.main({ op: 'interrupt', t: this.t(), dev: dev.name }, { startPs, durPs, core, dma: null });
  }

  deviceAccess(dev: Device, dmaAddr: number, len: number, isWrite: boolean): void {
    this.device(dev);
    const now = this.m().soc.sim.now;
    let addr = dmaAddr;
    let left = len;
    while (left > 0) {
      const hit = this.covering(dev.name, addr, false);
      if (hit === null) {
        this.stats.unmappedDeviceBytes += left;
        break;
      }
      const n = Math.min(left, hit.room);
      const info: LiveOpInfo = { startPs: now, durPs: 0, core: -1, dma: null };
      this.main(
        isWrite
          ? { op: 'dev_write', t: this.t(), dev: dev.name, handle: hit.m.name, offset: hit.offset, len: n, byte: 0 }
          : { op: 'dev_read', t: this.t(), dev: dev.name, handle: hit.m.name, offset: hit.offset, len: n },
        info,
      );
      addr += n;
      left -= n;
    }
  }

  finish(endPs: number): void {
    this.drainViolations();
    for (const s of this.sinks) s.end?.(endPs);
  }

  // ---- DmaApiRecorder ----

  mapPage(dev: DeviceLike, pa: number, size: number, dir: DmaDirection, attrs: number, handle: number): void {
    this.device(dev);
    const { buf, offset } = this.region(pa, size);
    const m = this.newMapping(dev.name, 'single', handle === DMA_MAPPING_ERROR ? [] : [handle, size]);
    this.api(withAttrs({ op: 'map_single', t: this.t(), dev: dev.name, buf, offset, size, dir: dirName(dir), handle: m.name }, attrs));
  }

  unmapPage(dev: DeviceLike, handle: number, size: number, dir: DmaDirection, attrs: number): void {
    this.device(dev);
    const m = this.byStart(dev.name, handle, 'single');
    if (m !== null) this.kill(m);
    this.api(withAttrs({ op: 'unmap_single', t: this.t(), dev: dev.name, handle: m?.name ?? `0x${hex(handle)}`, size, dir: dirName(dir) }, attrs));
  }

  mapResource(dev: DeviceLike, phys: number, size: number, dir: DmaDirection, attrs: number, handle: number): void {
    this.device(dev);
    const m = this.newMapping(dev.name, 'resource', handle === DMA_MAPPING_ERROR ? [] : [handle, size]);
    this.api(withAttrs({ op: 'map_resource', t: this.t(), dev: dev.name, addr: phys, size, dir: dirName(dir), handle: m.name }, attrs));
  }

  unmapResource(dev: DeviceLike, handle: number, size: number, dir: DmaDirection, attrs: number): void {
    this.device(dev);
    const m = this.byStart(dev.name, handle, 'resource');
    if (m !== null) this.kill(m);
    this.api(withAttrs({ op: 'unmap_resource', t: this.t(), dev: dev.name, handle: m?.name ?? `0x${hex(handle)}`, size, dir: dirName(dir) }, attrs));
  }

  mappingError(dev: DeviceLike, handle: number): void {
    this.device(dev);
    const m = this.byStart(dev.name, handle, null);
    this.api({ op: 'mapping_error', t: this.t(), dev: dev.name, handle: m?.name ?? `0x${hex(handle)}` }, false);
  }

  mapSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, mapped: number, dir: DmaDirection, attrs: number): void {
    this.device(dev);
    const list: SgEntry[] = [];
    for (let i = 0; i < nents && i < sg.length; i++) {
      const e = sg[i]!;
      const { buf, offset } = this.region(e.phys, e.length);
      list.push({ buf, offset, len: e.length });
    }
    const segs: number[] = [];
    for (let i = 0; i < mapped && i < sg.length; i++) segs.push(sg[i]!.dmaAddress, sg[i]!.dmaLength);
    const m = this.newMapping(dev.name, 'sg', segs);
    this.api(withAttrs({ op: 'map_sg', t: this.t(), dev: dev.name, sg: list, dir: dirName(dir), handle: m.name }, attrs));
  }

  unmapSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, dir: DmaDirection, attrs: number): void {
    this.device(dev);
    const m = sg.length > 0 ? this.byStart(dev.name, sg[0]!.dmaAddress, 'sg') : null;
    if (m === null) {
      this.stats.unknownSgCalls++;
      return;
    }
    this.kill(m);
    this.api(withAttrs({ op: 'unmap_sg', t: this.t(), dev: dev.name, handle: m.name, nents, dir: dirName(dir) }, attrs));
  }

  syncSingle(dev: DeviceLike, handle: number, size: number, dir: DmaDirection, forCpu: boolean): void {
    this.device(dev);
    const hit = this.covering(dev.name, handle, true);
    const name = hit?.m.name ?? `0x${hex(handle)}`;
    const offset = hit?.offset ?? 0;
    this.api({ op: forCpu ? 'sync_single_for_cpu' : 'sync_single_for_device', t: this.t(), dev: dev.name, handle: name, offset, size, dir: dirName(dir) });
  }

  syncSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, dir: DmaDirection, forCpu: boolean): void {
    this.device(dev);
    const m = sg.length > 0 ? this.byStart(dev.name, sg[0]!.dmaAddress, 'sg') : null;
    if (m === null) {
      this.stats.unknownSgCalls++;
      return;
    }
    this.api({ op: forCpu ? 'sync_sg_for_cpu' : 'sync_sg_for_device', t: this.t(), dev: dev.name, handle: m.name, nents, dir: dirName(dir) });
  }

  alloc(dev: DeviceLike, size: number, attrs: number, buf: CoherentBuffer | null): void {
    this.device(dev);
    const m = this.newMapping(dev.name, 'coherent', buf === null ? [] : [buf.dmaHandle, size]);
    if (buf === null) m.live = false;
    const op: TraceOp = withAttrs({ op: 'alloc_coherent', t: this.t(), dev: dev.name, size, handle: m.name }, attrs);
    if (buf !== null && buf.cpuAddr !== null) {
      const name = this.uniqueName(`coh${++this.buffers}`);
      this.regions.push({ name, start: buf.phys, end: buf.phys + size, coherentOf: m });
      op.buf = name;
    }
    this.api(op);
  }

  free(dev: DeviceLike, size: number, _cpuAddr: number | null, handle: number, attrs: number): void {
    this.device(dev);
    const m = this.byStart(dev.name, handle, 'coherent');
    if (m !== null) {
      this.kill(m);
      // The replayer forgets the allocation's kernel view with it.
      for (let i = this.regions.length - 1; i >= 0; i--) if (this.regions[i]!.coherentOf === m) this.regions.splice(i, 1);
    }
    this.api(withAttrs({ op: 'free_coherent', t: this.t(), dev: dev.name, handle: m?.name ?? `0x${hex(handle)}`, size }, attrs));
  }

  mmap(dev: DeviceLike, handle: number, _size: number, _attrs: number, mapping: UserMapping | null): void {
    if (mapping === null) return; // -ENXIO: nothing happened
    this.device(dev);
    const m = this.byStart(dev.name, handle, 'coherent');
    if (m === null || !m.live) return;
    const name = this.uniqueName(`u${++this.buffers}`);
    this.regions.push({ name, start: mapping.phys, end: mapping.phys + mapping.size, coherentOf: null });
    this.main({ op: 'mmap', t: this.t(), dev: dev.name, handle: m.name, buf: name }, this.cpuInfo(null));
  }

  // ---- helpers ----

  private m(): DmaMachine {
    if (this.machine === null) throw new Error('LiveOps: attach(machine) first');
    return this.machine;
  }

  private t(): number {
    return Math.floor(this.m().soc.sim.now / 1000);
  }

  private emit(op: TraceOp, info: LiveOpInfo): number {
    const index = this.stats.ops++;
    for (const s of this.sinks) s.op(op, index, info);
    return index;
  }

  private main(op: TraceOp, info: LiveOpInfo): void {
    this.lastMain = this.emit(op, info);
    this.drainViolations();
  }

  private cpuInfo(dma: DmaCallCost | null): LiveOpInfo {
    const m = this.m();
    const core = m.sys.core;
    const c = m.soc.cores[core];
    const durPs = dma !== null ? m.soc.cpuClock.cyclesToPs(Math.max(0, Math.round(dma.cycles))) : 0;
    const end = c !== undefined ? Math.max(c.busyUntil, m.soc.sim.now) : m.soc.sim.now;
    return { startPs: Math.max(0, end - durPs), durPs, core, dma };
  }

  private api(op: TraceOp, withCost = true): void {
    const dma = withCost ? { ...this.m().sys.cost } : null;
    this.main(op, this.cpuInfo(dma));
  }

  private drainViolations(): void {
    const vs = this.m().sys.violations;
    while (this.violationsSeen < vs.length) {
      const v = vs[this.violationsSeen++]!;
      this.emit(
        {
          op: 'violation',
          t: this.t(),
          violation: { kind: v.kind, op: Math.max(0, this.lastMain), dev: v.dev, addr: v.addr, size: v.size, message: v.message.slice(0, MAX_TEXT), hint: v.hint.slice(0, MAX_TEXT) },
        },
        { startPs: this.m().soc.sim.now, durPs: 0, core: -1, dma: null },
      );
    }
  }

  private device(dev: DeviceLike): void {
    if (this.devices.has(dev.name)) return;
    this.devices.add(dev.name);
    const full = this.m().sys.devices.get(dev.name);
    const op: TraceOp = {
      op: 'device',
      t: this.t(),
      name: dev.name,
      coherent: (full?.coherency ?? 'none') !== 'none',
      dmaMask: maskBits(dev.dmaMask),
      iommu: full?.ops.name.startsWith('iommu') ?? false,
    };
    if (dev.driver !== '') op.driver = dev.driver;
    if (full !== undefined) op.strategy = full.strategy;
    this.emit(op, { startPs: this.m().soc.sim.now, durPs: 0, core: -1, dma: null });
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let i = 2; this.regionNames.has(name); i++) name = `${base}_${i}`;
    this.regionNames.add(name);
    return name;
  }

  /** The newest buffer covering [pa, pa+len), created as `alloc_pages` of its page range when none does. */
  private region(pa: number, len: number): { buf: string; offset: number } {
    const end = pa + Math.max(len, 1);
    for (let i = this.regions.length - 1; i >= 0; i--) {
      const r = this.regions[i]!;
      if (r.start <= pa && end <= r.end) return { buf: r.name, offset: pa - r.start };
    }
    const ps = this.m().sys.params.pageSize;
    const start = pa - (pa % ps);
    const stop = Math.ceil(end / ps) * ps;
    const name = this.uniqueName(`pa_${hex(start)}`);
    this.regions.push({ name, start, end: stop, coherentOf: null });
    this.emit({ op: 'alloc_pages', t: this.t(), buf: name, size: stop - start }, { startPs: this.m().soc.sim.now, durPs: 0, core: -1, dma: null });
    return { buf: name, offset: pa - start };
  }

  private newMapping(dev: string, kind: Mapping['kind'], segs: number[]): Mapping {
    const m: Mapping = { name: `h${++this.handles}`, dev, kind, segs, live: true };
    let list = this.mappings.get(dev);
    if (list === undefined) this.mappings.set(dev, (list = []));
    list.push(m);
    return m;
  }

  private kill(m: Mapping): void {
    m.live = false;
    const list = this.mappings.get(m.dev)!;
    // Keep only the most recent dead mappings (stale use after unmap names the latest one).
    let dead = 0;
    for (let i = list.length - 1; i >= 0; i--) {
      if (!list[i]!.live && ++dead > DEAD_KEPT) list.splice(i, 1);
    }
  }

  /** The mapping (live first, newest first) whose first segment starts at `dma`. */
  private byStart(dev: string, dma: number, kind: Mapping['kind'] | null): Mapping | null {
    const list = this.mappings.get(dev);
    if (list === undefined) return null;
    for (const live of [true, false]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i]!;
        if (m.live === live && (kind === null || m.kind === kind) && m.segs.length > 0 && m.segs[0] === dma) return m;
      }
    }
    return null;
  }

  /** The mapping covering DMA address `dma` (live first, then the most recent dead one), its offset and room. */
  private covering(dev: string, dma: number, singleOnly: boolean): { m: Mapping; offset: number; room: number } | null {
    const list = this.mappings.get(dev);
    if (list === undefined) return null;
    for (const live of [true, false]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i]!;
        if (m.live !== live || (singleOnly && m.kind === 'sg')) continue;
        let before = 0;
        for (let s = 0; s < m.segs.length; s += 2) {
          const a = m.segs[s]!;
          const n = m.segs[s + 1]!;
          if (dma >= a && dma < a + n) return { m, offset: before + (dma - a), room: a + n - dma };
          before += n;
        }
      }
    }
    return null;
  }
}

function withAttrs<T extends TraceOp>(op: T, attrs: number): T {
  const names = attrNames(attrs);
  if (names !== undefined) (op as { attrs?: DmaAttrName[] }).attrs = names;
  return op;
}
