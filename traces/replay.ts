// The replayer: executes trace operations on a DmaMachine (SoC + DMA layer + checker) in order, each at its
// time (`t`) or when the previous one finished, and reports what every call cost and what went wrong.
// CPU operations run on core 0 through the caches; device accesses go through the device's DMA path
// (IOMMU, coherency mode, bus). Nothing here decides a result: the machine does.
import { Rng } from '../emulator/kernel/rng.ts';
import { createDmaMachine } from '../dma/machine.ts';
import type { DmaMachine, DmaMachineOptions } from '../dma/machine.ts';
import {
  dma_alloc_attrs,
  dma_free_attrs,
  dma_map_page_attrs,
  dma_map_resource,
  dma_map_sg_attrs,
  dma_mapping_error,
  dma_mmap_attrs,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_page_attrs,
  dma_unmap_resource,
  dma_unmap_sg_attrs,
} from '../dma/mapping.ts';
import { DmaAttr, DmaDirection, DMA_MAPPING_ERROR } from '../dma/types.ts';
import type { CoherentBuffer, ScatterEntry } from '../dma/types.ts';
import type { Device } from '../dma/device.ts';
import type { Violation } from '../dma/violation.ts';
import type { MemType } from '../dma/platform.ts';
import type { DmaCallCost } from '../dma/cost.ts';
import type { TraceHeader, TraceOp } from './schema.ts';
import { TraceFormatError } from './errors.ts';
import { attrsToMask } from './kernel-names.ts';
import type { DmaAttrName } from './kernel-names.ts';

export interface ReplayOptions {
  /** Overrides the trace's strategy for every device (compare one trace across strategies). */
  strategy?: string;
  /** Overrides the trace's SoC preset. */
  soc?: string;
  /** Overrides the trace's seed. */
  seed?: number;
  /** The coherency checker (default on). */
  checker?: boolean;
  /** dma-debug (default on). */
  debug?: boolean;
  speculation?: DmaMachineOptions['speculation'];
  /** Keep the cost of every operation (default off: large traces). */
  costs?: boolean;
  /** Name of the trace for errors and results. */
  name?: string;
  /** Extra machine options (IOMMU defaults, DMA parameters). */
  machine?: Omit<DmaMachineOptions, 'seed' | 'strategy' | 'checker' | 'debug' | 'speculation'>;
  /** Called after every operation (Perfetto export, recorder, progress). */
  onOp?: (event: OpEvent) => void;
}

/** What one operation did: its simulated start and end, CPU cycles and DMA-layer cost. */
export interface OpEvent {
  index: number;
  op: TraceOp;
  startPs: number;
  endPs: number;
  /** CPU cycles charged to the CPU for this operation (0 for device accesses). */
  cycles: number;
  dma: DmaCallCost | null;
  /** The buffer's physical address range, when the op names one. */
  pa: number;
  len: number;
}

export interface OpCost {
  op: number;
  name: string;
  ns: number;
  cycles: number;
  bytesCleaned?: number;
  bytesInvalidated?: number;
  bytesFlushed?: number;
  bytesBounced?: number;
}

export interface ReplayResult {
  trace: string;
  format: string;
  soc: string;
  strategy: string;
  seed: number;
  ops: number;
  skipped: number;
  simulatedNs: number;
  hostMs: number;
  violations: Violation[];
  violationsByKind: Record<string, number>;
  dmesg: string[];
  stats: Record<string, unknown>;
  costs?: OpCost[];
  truncatedAt?: number;
}

/** An operation that refers to something the trace never created: bad input, exit 2. */
export class ReplayError extends TraceFormatError {}

interface Buffer {
  pa: number;
  size: number;
  kind: 'kmalloc' | 'pages' | 'coherent' | 'user';
  type: MemType;
}

interface Handle {
  dev: Device;
  kind: 'single' | 'sg' | 'resource' | 'coherent';
  dma: number;
  size: number;
  sg: ScatterEntry[] | null;
  nents: number;
  coherent: CoherentBuffer | null;
}

const CORE = 0;
const CHUNK = 64 * 1024;

export class Replayer {
  readonly machine: DmaMachine;
  readonly header: TraceHeader;
  readonly strategy: string;
  readonly socName: string;
  readonly seed: number;
  private readonly opts: ReplayOptions;
  private readonly name: string;
  private readonly buffers = new Map<string, Buffer>();
  private readonly handles = new Map<string, Handle>();
  private readonly scratch = new Uint8Array(CHUNK);
  private readonly costs: OpCost[] = [];
  /** User views (mmap) by buffer name → their id in the memory-attribute map. */
  private readonly userMappings = new Map<string, number>();
  private count = 0;
  private skipped = 0;
  private readonly started = performance.now();

  constructor(header: TraceHeader, opts: ReplayOptions = {}) {
    this.opts = opts;
    this.header = header;
    this.name = opts.name ?? 'trace';
    this.socName = opts.soc ?? header.soc ?? 'exynos4412';
    this.seed = opts.seed ?? header.seed ?? 1;
    this.strategy = opts.strategy ?? header.strategy ?? 'direct';
    this.machine = createDmaMachine(this.socName, {
      ...opts.machine,
      seed: this.seed,
      strategy: this.strategy,
      checker: opts.checker ?? true,
      debug: opts.debug ?? true,
      ...(opts.speculation !== undefined ? { speculation: opts.speculation } : {}),
    });
    if (this.machine.soc.speculation.active === false && opts.speculation) this.machine.soc.speculation.start();
  }

  /** Counts a record that is not an operation (a recorded violation, an interrupt). */
  skip(): void {
    this.skipped++;
  }

  /** Executes one operation. `index` is its position in the trace (violations carry it). */
  apply(op: TraceOp, index: number): void {
    const m = this.machine;
    const { sim } = m.soc;
    if (op.t !== undefined) {
      const at = op.t * 1000;
      if (at > sim.now) sim.run(at);
    }
    m.sys.opIndex = index;
    const core = m.soc.cores[CORE]!;
    const startPs = Math.max(sim.now, core.busyUntil);
    const busyBefore = core.busyCycles;
    let devPs = 0;
    let dma: DmaCallCost | null = null;
    let pa = -1;
    let len = 0;
    const where = `${this.name}: op ${index} (${op.op})`;
    switch (op.op) {
      case 'device': {
        const coherent = op.coherent ? (m.soc.preset.coherency.defaultMode === 'none' ? 'acp' : m.soc.preset.coherency.defaultMode) : 'none';
        m.addDevice({
          name: op.name,
          ...(op.driver !== undefined ? { driver: op.driver } : {}),
          dmaMaskBits: op.dmaMask,
          coherency: coherent,
          strategy: this.opts.strategy ?? op.strategy ?? this.strategy,
        });
        break;
      }
      case 'kmalloc': {
        const addr = m.sys.memory.kmalloc.kmalloc(op.size);
        this.defineBuffer(op.buf, { pa: addr, size: op.size, kind: 'kmalloc', type: 'normal-wb' }, where);
        break;
      }
      case 'kfree': {
        const b = this.buffer(op.buf, where);
        m.sys.memory.kmalloc.kfree(b.pa);
        this.buffers.delete(op.buf);
        break;
      }
      case 'alloc_pages': {
        const addr = m.sys.memory.allocPages(op.size);
        this.defineBuffer(op.buf, { pa: addr, size: op.size, kind: 'pages', type: 'normal-wb' }, where);
        break;
      }
      case 'free_pages': {
        const b = this.buffer(op.buf, where);
        m.sys.memory.freePages(b.pa);
        this.buffers.delete(op.buf);
        break;
      }
      case 'cpu_write': {
        const b = this.range(op.buf, op.offset, op.len, where);
        pa = b.pa + op.offset;
        len = op.len;
        core.exec(this.cpuWrite(b, pa, op.len, op.seed, op.byte));
        break;
      }
      case 'cpu_read': {
        const b = this.range(op.buf, op.offset, op.len, where);
        pa = b.pa + op.offset;
        len = op.len;
        let cycles = 0;
        for (let done = 0; done < op.len; done += CHUNK) {
          const n = Math.min(CHUNK, op.len - done);
          cycles += m.soc.memory.cpuRead(CORE, pa + done, this.scratch, 0, n, b.type);
        }
        core.exec(cycles);
        break;
      }
      case 'prefetch': {
        const b = this.range(op.buf, op.offset, op.len, where);
        pa = b.pa + op.offset;
        len = op.len;
        core.exec(m.soc.memory.prefetch(CORE, pa, op.len));
        break;
      }
      case 'evict': {
        const b = this.range(op.buf, op.offset, op.len, where);
        pa = b.pa + op.offset;
        len = op.len;
        m.soc.memory.evict(pa, op.len);
        break;
      }
      case 'map_single':
      case 'map_page': {
        const dev = this.device(op.dev, where);
        const b = this.range(op.buf, op.offset, op.size, where);
        pa = b.pa + op.offset;
        len = op.size;
        // dma_map_single(ptr) is map_page(page of ptr, offset in page): the seed's patch 2.
        const page = pa - (pa % 4096);
        const dmaAddr = dma_map_page_attrs(dev, page, pa - page, op.size, DmaDirection[op.dir], attrBits(op.attrs));
        this.handles.set(op.handle, { dev, kind: 'single', dma: dmaAddr, size: op.size, sg: null, nents: 1, coherent: null });
        dma = m.sys.lastCost;
        break;
      }
      case 'map_resource': {
        const dev = this.device(op.dev, where);
        const dmaAddr = dma_map_resource(dev, op.addr, op.size, DmaDirection[op.dir], attrBits(op.attrs));
        this.handles.set(op.handle, { dev, kind: 'resource', dma: dmaAddr, size: op.size, sg: null, nents: 1, coherent: null });
        dma = m.sys.lastCost;
        break;
      }
      case 'unmap_single':
      case 'unmap_page':
      case 'unmap_resource': {
        const dev = this.device(op.dev, where);
        const h = this.handleOrAddress(op.handle, dev);
        if (op.op === 'unmap_resource') dma_unmap_resource(dev, h.dma, op.size, DmaDirection[op.dir], attrBits(op.attrs));
        else dma_unmap_page_attrs(dev, h.dma, op.size, DmaDirection[op.dir], attrBits(op.attrs));
        dma = m.sys.lastCost;
        break;
      }
      case 'map_sg': {
        const dev = this.device(op.dev, where);
        const sg: ScatterEntry[] = op.sg.map((e, i) => {
          const b = this.range(e.buf, e.offset, e.len, `${where} sg[${i}]`);
          return { phys: b.pa + e.offset, length: e.len, dmaAddress: 0, dmaLength: 0 };
        });
        dma_map_sg_attrs(dev, sg, sg.length, DmaDirection[op.dir], attrBits(op.attrs));
        this.handles.set(op.handle, { dev, kind: 'sg', dma: sg[0]?.dmaAddress ?? DMA_MAPPING_ERROR, size: 0, sg, nents: sg.length, coherent: null });
        dma = m.sys.lastCost;
        break;
      }
      case 'unmap_sg': {
        const dev = this.device(op.dev, where);
        const h = this.sgHandle(op.handle, where);
        dma_unmap_sg_attrs(dev, h.sg!, op.nents, DmaDirection[op.dir], attrBits(op.attrs));
        dma = m.sys.lastCost;
        break;
      }
      case 'mapping_error': {
        const dev = this.device(op.dev, where);
        const h = this.handleOrAddress(op.handle, dev);
        dma_mapping_error(dev, h.dma);
        break;
      }
      case 'sync_single_for_cpu':
      case 'sync_single_for_device': {
        const dev = this.device(op.dev, where);
        const h = this.handleOrAddress(op.handle, dev);
        const fn = op.op === 'sync_single_for_cpu' ? dma_sync_single_for_cpu : dma_sync_single_for_device;
        fn(dev, h.dma + op.offset, op.size, DmaDirection[op.dir]);
        dma = m.sys.lastCost;
        break;
      }
      case 'sync_sg_for_cpu':
      case 'sync_sg_for_device': {
        const dev = this.device(op.dev, where);
        const h = this.sgHandle(op.handle, where);
        const fn = op.op === 'sync_sg_for_cpu' ? dma_sync_sg_for_cpu : dma_sync_sg_for_device;
        fn(dev, h.sg!, op.nents, DmaDirection[op.dir]);
        dma = m.sys.lastCost;
        break;
      }
      case 'alloc_coherent': {
        const dev = this.device(op.dev, where);
        const attrs = attrBits(op.attrs);
        const cb = dma_alloc_attrs(dev, op.size, attrs);
        dma = m.sys.lastCost;
        if (cb === null) {
          this.handles.set(op.handle, { dev, kind: 'coherent', dma: DMA_MAPPING_ERROR, size: op.size, sg: null, nents: 1, coherent: null });
          break;
        }
        this.handles.set(op.handle, { dev, kind: 'coherent', dma: cb.dmaHandle, size: op.size, sg: null, nents: 1, coherent: cb });
        if (op.buf !== undefined) {
          if ((attrs & DmaAttr.NO_KERNEL_MAPPING) !== 0 || cb.cpuAddr === null) {
            throw new ReplayError(where, `alloc_coherent with NO_KERNEL_MAPPING has no CPU view: drop "buf" or the attribute`);
          }
          const view = m.sys.memory.translate(cb.cpuAddr);
          this.defineBuffer(op.buf, { pa: view.phys, size: op.size, kind: 'coherent', type: view.type }, where);
        }
        break;
      }
      case 'free_coherent': {
        const dev = this.device(op.dev, where);
        const h = this.handleOrAddress(op.handle, dev);
        const cb = h.coherent;
        dma_free_attrs(dev, op.size ?? h.size, cb?.cpuAddr ?? null, h.dma, attrBits(op.attrs));
        // The kernel view and the user views of the freed memory go with it.
        for (const [name, b] of this.buffers) {
          if (cb === null || b.pa < cb.phys || b.pa >= cb.phys + h.size || (b.kind !== 'coherent' && b.kind !== 'user')) continue;
          const id = this.userMappings.get(name);
          if (id !== undefined) m.soc.memory.attributes.removeMapping(id);
          this.userMappings.delete(name);
          this.buffers.delete(name);
        }
        dma = m.sys.lastCost;
        break;
      }
      case 'mmap': {
        const dev = this.device(op.dev, where);
        const h = this.handleOrAddress(op.handle, dev);
        const um = dma_mmap_attrs(dev, h.dma, h.size);
        if (um === null) throw new ReplayError(where, `mmap: handle "${op.handle}" is no coherent allocation of ${op.dev}`);
        // A driver that remaps coherent memory with remap_pfn_range and cacheable attributes (the bug) gets a
        // cacheable alias of memory the kernel maps non-cacheable.
        const type: MemType = op.cacheable === true ? 'normal-wb' : um.memType;
        const id = m.soc.memory.attributes.addMapping(um.phys, um.size, type, `user:${op.buf}`);
        this.userMappings.set(op.buf, id);
        this.defineBuffer(op.buf, { pa: um.phys, size: um.size, kind: 'user', type }, where);
        this.checkAliases(um.phys, um.size, op.dev);
        break;
      }
      case 'dev_write':
      case 'dev_read': {
        const dev = this.device(op.dev, where);
        const h = this.handleOrAddress(op.handle, dev);
        devPs = this.deviceAccess(h, op, where);
        len = op.len;
        break;
      }
      case 'wmb':
        core.exec(m.soc.memory.wmb(CORE));
        break;
      case 'delay':
        sim.run(Math.max(sim.now, core.busyUntil) + op.ns * 1000);
        break;
      case 'remove_device':
        m.sys.removeDevice(this.device(op.dev, where));
        break;
      case 'interrupt':
      case 'violation':
        this.skipped++;
        return;
    }
    const endPs = Math.max(sim.now + devPs, core.busyUntil);
    if (endPs > sim.now) sim.run(endPs);
    this.count++;
    const cycles = core.busyCycles - busyBefore;
    if (this.opts.costs) {
      const c: OpCost = { op: index, name: op.op, ns: (endPs - startPs) / 1000, cycles };
      if (dma !== null) {
        c.bytesCleaned = dma.bytesCleaned;
        c.bytesInvalidated = dma.bytesInvalidated;
        c.bytesFlushed = dma.bytesFlushed;
        c.bytesBounced = dma.bytesBounced;
      }
      this.costs.push(c);
    }
    this.opts.onOp?.({ index, op, startPs, endPs, cycles, dma, pa, len });
  }

  /** Runs pending events (flush-queue timers) and returns the result. */
  finish(extra: { format?: string; skipped?: number; truncatedAt?: number | undefined } = {}): ReplayResult {
    const m = this.machine;
    m.sys.publishStats();
    const violations = m.violations;
    const byKind: Record<string, number> = {};
    for (const v of violations) byKind[v.kind] = (byKind[v.kind] ?? 0) + 1;
    const result: ReplayResult = {
      trace: this.name,
      format: extra.format ?? 'jsonl',
      soc: this.socName,
      strategy: this.strategy,
      seed: this.seed,
      ops: this.count,
      skipped: this.skipped + (extra.skipped ?? 0),
      simulatedNs: Math.max(m.soc.sim.now, m.soc.cores[CORE]!.busyUntil) / 1000,
      hostMs: Math.round((performance.now() - this.started) * 1000) / 1000,
      violations,
      violationsByKind: Object.fromEntries(Object.entries(byKind).sort()),
      dmesg: m.sys.dmesgLog,
      stats: { ...m.soc.sim.stats.toJSON(), memory: m.sys.memoryUsage(), caches: m.soc.memory.report() },
    };
    if (this.opts.costs) result.costs = this.costs;
    if (extra.truncatedAt !== undefined) result.truncatedAt = extra.truncatedAt;
    return result;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private defineBuffer(name: string, b: Buffer, where: string): void {
    if (this.buffers.has(name)) throw new ReplayError(where, `buffer "${name}" already exists (free it first)`);
    this.buffers.set(name, b);
  }

  private buffer(name: string, where: string): Buffer {
    const b = this.buffers.get(name);
    if (b === undefined) throw new ReplayError(where, `unknown buffer "${name}" (expected one created by kmalloc, alloc_pages, alloc_coherent or mmap)`);
    return b;
  }

  private range(name: string, offset: number, len: number, where: string): Buffer {
    const b = this.buffer(name, where);
    if (offset + len > b.size) throw new ReplayError(where, `range ${offset}+${len} exceeds buffer "${name}" of ${b.size} bytes`);
    return b;
  }

  private device(name: string, where: string): Device {
    const d = this.machine.sys.devices.get(name);
    if (d === undefined) throw new ReplayError(where, `unknown device "${name}" (expected a device op first)`);
    return d;
  }

  /** A handle the trace created, or (ftrace imports) an address it never mapped: dma-debug reports it. */
  private handleOrAddress(name: string, dev: Device): Handle {
    const h = this.handles.get(name);
    if (h !== undefined) return h;
    const m = /^(?:[dr]_)?(?:0x)?([0-9a-f]+)$/i.exec(name);
    const dma = m !== null ? parseInt(m[1]!, 16) : 0xdead0000;
    return { dev, kind: 'single', dma: Number.isSafeInteger(dma) ? dma : 0xdead0000, size: 0, sg: null, nents: 1, coherent: null };
  }

  private sgHandle(name: string, where: string): Handle {
    const h = this.handles.get(name);
    if (h === undefined || h.sg === null) throw new ReplayError(where, `unknown scatter-gather handle "${name}" (expected a map_sg first)`);
    return h;
  }

  private fillData(n: number, rng: Rng | null, byte: number): void {
    if (rng !== null) rng.fill(this.scratch.subarray(0, n));
    else this.scratch.fill(byte, 0, n);
  }

  private cpuWrite(b: Buffer, pa: number, len: number, seed: number | undefined, byte: number | undefined): number {
    const mem = this.machine.soc.memory;
    if (seed === undefined && byte !== undefined && len > CHUNK) return mem.cpuFill(CORE, pa, len, byte, b.type);
    const rng = seed !== undefined ? new Rng(seed) : null;
    let cycles = 0;
    for (let done = 0; done < len; done += CHUNK) {
      const n = Math.min(CHUNK, len - done);
      this.fillData(n, rng, byte ?? 0);
      cycles += mem.cpuWrite(CORE, pa + done, this.scratch, 0, n, b.type);
    }
    return cycles;
  }

  /** The device's DMA over a handle; for sg handles `offset` runs over the mapped segments in order. */
  private deviceAccess(h: Handle, op: Extract<TraceOp, { op: 'dev_write' | 'dev_read' }>, where: string): number {
    const m = this.machine;
    const isWrite = op.op === 'dev_write';
    const rng = isWrite && op.seed !== undefined ? new Rng(op.seed) : null;
    const byte = isWrite && op.byte !== undefined ? op.byte : 0;
    let ps = 0;
    for (const [dma, n] of this.segments(h, op.offset, op.len, where)) {
      for (let done = 0; done < n; done += CHUNK) {
        const k = Math.min(CHUNK, n - done);
        if (isWrite) this.fillData(k, rng, byte);
        ps += m.deviceAccess(h.dev, dma + done, this.scratch, 0, k, isWrite);
      }
    }
    return ps;
  }

  /** [DMA address, length] pieces of a device access; for sg handles `offset` runs over the mapped segments. */
  private segments(h: Handle, offset: number, len: number, where: string): [number, number][] {
    if (h.sg === null) {
      if (h.size > 0 && offset + len > h.size) throw new ReplayError(where, `device access ${offset}+${len} exceeds the ${h.size}-byte mapping`);
      return [[h.dma + offset, len]];
    }
    const out: [number, number][] = [];
    let skip = offset;
    let left = len;
    for (const e of h.sg) {
      const segLen = e.dmaLength > 0 ? e.dmaLength : 0;
      if (segLen === 0) continue;
      if (skip >= segLen) {
        skip -= segLen;
        continue;
      }
      const n = Math.min(segLen - skip, left);
      out.push([e.dmaAddress + skip, n]);
      left -= n;
      skip = 0;
      if (left === 0) break;
    }
    if (left > 0) throw new ReplayError(where, `device access ${offset}+${len} runs past the end of the scatter-gather mapping`);
    return out;
  }

  /** A user mapping whose attributes differ from another live mapping of the same pages. */
  private checkAliases(pa: number, size: number, dev: string): void {
    const m = this.machine;
    const conflicts = m.soc.memory.attributes.aliasConflicts(pa, size);
    if (conflicts.length === 0) return;
    const c = conflicts[0]!;
    m.violations.push({
      kind: 'mismatched-alias',
      op: m.sys.opIndex,
      dev,
      addr: c.page,
      size: conflicts.length * 4096,
      message: `physical page 0x${c.page.toString(16).padStart(8, '0')} is mapped both cacheable and non-cacheable (${conflicts.length} page(s)): accesses through the two aliases see different data (ARMv6+ forbids mismatched attributes)`,
      hint: 'map the buffer to user space with the attributes of its allocation (dma_mmap_coherent / dma_mmap_attrs), never a cacheable remap_pfn_range of coherent memory',
    });
  }
}

function attrBits(names: readonly DmaAttrName[] | undefined): number {
  return names === undefined ? 0 : attrsToMask(names);
}

/** Replays operations already in memory (bugs catalog, minimizer, benchmarks). */
export function replayOps(header: TraceHeader, ops: Iterable<TraceOp>, opts: ReplayOptions = {}): ReplayResult {
  const r = new Replayer(header, opts);
  let i = 0;
  for (const op of ops) r.apply(op, i++);
  return r.finish();
}
