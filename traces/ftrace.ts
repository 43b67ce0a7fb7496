// Imports the text output of the kernel's dma:* tracepoints (and swiotlb:swiotlb_bounced) as trace ops.
// Physical ranges become page-aligned buffers `pa_<hex>` (overlaps merged), DMA addresses become handle
// names, and the device's own accesses — which ftrace cannot see — are synthesised over each mapping's
// device-owned windows according to its direction. Two passes over the parsed events: the first learns
// the devices and the physical ranges, the second emits ops.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { TraceFormatError, show } from './errors.ts';
import { FTRACE_ATTR_ALIASES, attrsToMask, isDmaAttrName, maskToAttrs } from './kernel-names.ts';
import type { DmaAttrName, DmaDir } from './kernel-names.ts';
import { splitLines } from './lines.ts';
import type { ChunkSource } from './lines.ts';
import { ADDR_UNREPRESENTABLE, malformed, maskBits, parseFtraceLine, parseHexAddr, parseHexArray } from './ftrace-parse.ts';
import type { FtraceEvent } from './ftrace-parse.ts';
import { DEFAULT_LIMITS, TRACE_VERSION } from './schema.ts';
import type { SgEntry, TraceHeader, TraceLimits, TraceOp } from './schema.ts';

/** Per-device facts ftrace does not print; defaults: non-coherent, no IOMMU, the importer's dmaMask. */
export interface FtraceDeviceInfo { coherent?: boolean; dmaMask?: number; iommu?: boolean; driver?: string; strategy?: string }
export type FtraceDeviceMap = Record<string, FtraceDeviceInfo>;

export interface FtraceImportOptions {
  devices?: FtraceDeviceMap;
  /** Mask bits for devices neither the map nor a swiotlb_bounced line describe (default 32). */
  defaultDmaMask?: number;
  pageSize?: number;
  /** Header fields (soc, seed, strategy) of the produced trace. */
  header?: Omit<TraceHeader, 'dmasim' | 'version'>;
  /** Emit mapping_error after each successful single map: drivers check, ftrace cannot show it (default true). */
  assumeMappingErrorChecked?: boolean;
  /** Synthesise dev_read/dev_write over device-owned windows (default true). */
  synthesizeDeviceAccess?: boolean;
  limits?: TraceLimits;
}

export interface FtraceImportStats {
  lines: number;
  /** DMA events turned into ops. */
  events: number;
  ops: number;
  /** Lines passed over: comments, unrelated events, informational DMA events (swiotlb_bounced, *_err). */
  skipped: number;
  unknownEvents: Record<string, number>;
  /** Maps that returned DMA_MAPPING_ERROR (nothing to replay). */
  failedMaps: number;
  /** map_sg lines the kernel cut at 128 entries ([TRUNCATED]): only the printed entries are replayed. */
  truncatedSg: number;
  /** Attribute names this dmasim does not know (dropped from the op). */
  unknownAttrs: number;
  /** Events whose timestamp went backwards (their t was clamped to the previous one). */
  reordered: number;
}

export interface FtraceImport { header: TraceHeader; ops: TraceOp[]; stats: FtraceImportStats }

interface Region { start: number; end: number; name: string }
interface Mapping {
  handle: string; dev: string; kind: 'single' | 'sg' | 'resource' | 'coherent' | 'pages' | 'sgt';
  dir: DmaDir; size: number; dmaAddr: number; nents: number; totalNents: number; deviceOwned: boolean;
  keys: string[]; buf?: string;
}

const hex = (n: number): string => n.toString(16);

/** Imports ftrace text from a stream of chunks. */
export async function importFtrace(chunks: ChunkSource, name: string, opts: FtraceImportOptions = {}): Promise<FtraceImport> {
  const imp = new FtraceImporter(name, opts);
  for await (const line of splitLines(chunks, name)) imp.addLine(line.text, line.lineNo);
  return imp.finish();
}

export function importFtraceText(text: string, name = 'trace.txt', opts: FtraceImportOptions = {}): Promise<FtraceImport> {
  return importFtrace([text], name, opts);
}

export function importFtraceFile(path: string, opts: FtraceImportOptions = {}): Promise<FtraceImport> {
  return importFtrace(createReadStream(path, { highWaterMark: 256 * 1024 }), basename(path), opts);
}

/** Validates a device map read from JSON ({name: {coherent, dmaMask, iommu, driver?, strategy?}}). */
export function parseDeviceMap(obj: unknown, where = 'device map'): FtraceDeviceMap {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TraceFormatError(where, `expected {"<device>": {"coherent": bool, "dmaMask": bits, "iommu": bool}}, got ${show(obj)}`);
  const out: FtraceDeviceMap = {};
  for (const [dev, info] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new TraceFormatError(where, `"${dev}" must be an object, got ${show(info)}`);
    const d: FtraceDeviceInfo = {};
    for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
      if (k === 'coherent' || k === 'iommu') {
        if (typeof v !== 'boolean') throw new TraceFormatError(where, `"${dev}.${k}" must be true or false, got ${show(v)}`);
        d[k] = v;
      } else if (k === 'dmaMask') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 64) throw new TraceFormatError(where, `"${dev}.dmaMask" must be a number of bits from 1 to 64, got ${show(v)}`);
        d.dmaMask = v;
      } else if (k === 'driver' || k === 'strategy') {
        if (typeof v !== 'string' || v.length === 0) throw new TraceFormatError(where, `"${dev}.${k}" must be a non-empty string, got ${show(v)}`);
        d[k] = v;
      } else {
        throw new TraceFormatError(where, `"${dev}" has unknown field "${k}" (coherent, dmaMask, iommu, driver, strategy)`);
      }
    }
    out[dev] = d;
  }
  return out;
}

const MAP_SINGLE_EVENTS = new Set(['dma_map_page', 'dma_map_phys', 'dma_map_resource']);
const UNMAP_SINGLE_EVENTS = new Set(['dma_unmap_page', 'dma_unmap_phys', 'dma_unmap_resource']);
const INFORMATIONAL = new Set(['swiotlb_bounced', 'dma_map_sg_err', 'dma_alloc_sgt_err']);

export class FtraceImporter {
  private readonly events: FtraceEvent[] = [];
  private readonly devOrder: string[] = [];
  private readonly devSeen = new Set<string>();
  private readonly swiotlbMask = new Map<string, number>();
  private readonly ranges: Array<[number, number]> = [];
  private readonly stats: FtraceImportStats = { lines: 0, events: 0, ops: 0, skipped: 0, unknownEvents: {}, failedMaps: 0, truncatedSg: 0, unknownAttrs: 0, reordered: 0 };
  private readonly pageSize: number;
  private readonly limits: TraceLimits;

  constructor(private readonly name: string, private readonly opts: FtraceImportOptions = {}) {
    this.pageSize = opts.pageSize ?? 4096;
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    if (opts.devices) parseDeviceMap(opts.devices);
  }

  /** Pass 1: parse, learn devices, masks and physical ranges. */
  addLine(text: string, lineNo: number): void {
    this.stats.lines++;
    const r = parseFtraceLine(text, lineNo, this.name);
    if (r.kind === 'blank') return;
    if (r.kind !== 'event') {
      this.stats.skipped++;
      if (r.kind === 'other' && r.event) this.stats.unknownEvents[r.event] = (this.stats.unknownEvents[r.event] ?? 0) + 1;
      return;
    }
    const ev = r.ev;
    const where = `${this.name}:${lineNo}`;
    if (ev.event === 'swiotlb_bounced') {
      const mask = ev.fields.get('dma_mask');
      const bits = mask === undefined ? undefined : maskBits(mask);
      if (bits === undefined) throw malformed(where, ev.event, `bad or missing "dma_mask=" (${show(mask)})`);
      for (const k of ['dev_addr', 'size']) if (!ev.fields.has(k)) throw malformed(where, ev.event, `missing "${k}="`);
      this.swiotlbMask.set(ev.dev, bits);
      this.stats.skipped++;
      return;
    }
    if (INFORMATIONAL.has(ev.event)) { this.stats.skipped++; return; }
    this.checkAndCollect(ev, where);
    if (!this.devSeen.has(ev.dev)) { this.devSeen.add(ev.dev); this.devOrder.push(ev.dev); }
    this.events.push(ev);
  }

  private need(ev: FtraceEvent, key: string, where: string): string {
    const v = ev.fields.get(key);
    if (v === undefined) throw malformed(where, ev.event, `missing "${key}="`);
    return v;
  }

  private addr(ev: FtraceEvent, key: string, where: string): number {
    const s = this.need(ev, key, where);
    const v = parseHexAddr(s);
    if (Number.isNaN(v)) throw malformed(where, ev.event, `"${key}" must be a hex address, got ${show(s)}`);
    return v;
  }

  private size(ev: FtraceEvent, key: string, where: string): number {
    const s = this.need(ev, key, where);
    if (!/^\d{1,16}$/.test(s)) throw malformed(where, ev.event, `"${key}" must be a decimal size, got ${show(s)}`);
    const v = Number(s);
    if (v > this.limits.maxSize) throw new TraceFormatError(where, `${ev.event}: "${key}" ${v} exceeds the ${this.limits.maxSize}-byte limit`);
    return v;
  }

  private array(ev: FtraceEvent, key: string, where: string): number[] {
    const s = this.need(ev, key, where);
    const v = parseHexArray(s);
    if (v === undefined) throw malformed(where, ev.event, `"${key}" must be an array {0x..,0x..}, got ${show(s)}`);
    if (v.length > this.limits.maxSgEntries) throw new TraceFormatError(where, `${ev.event}: "${key}" has ${v.length} entries, more than the limit ${this.limits.maxSgEntries}`);
    for (const x of v) if (x === ADDR_UNREPRESENTABLE) throw new TraceFormatError(where, `${ev.event}: "${key}" holds an address beyond 2^53`);
    return v;
  }

  private dir(ev: FtraceEvent, where: string): DmaDir {
    const d = this.need(ev, 'dir', where);
    if (d === 'TO_DEVICE' || d === 'FROM_DEVICE' || d === 'BIDIRECTIONAL') return d;
    throw malformed(where, ev.event, `"dir" must be TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL, got ${show(d)}`);
  }

  private attrs(ev: FtraceEvent, where: string): DmaAttrName[] {
    const s = this.need(ev, 'attrs', where);
    const out: DmaAttrName[] = [];
    if (s.length === 0) return out;
    for (const raw of s.split('|')) {
      const n = FTRACE_ATTR_ALIASES[raw] ?? raw;
      if (isDmaAttrName(n)) { if (!out.includes(n)) out.push(n); } else this.stats.unknownAttrs++;
    }
    return out;
  }

  private addRange(pa: number, len: number, where: string): void {
    if (pa === ADDR_UNREPRESENTABLE) throw new TraceFormatError(where, 'physical address beyond 2^53');
    const start = Math.floor(pa / this.pageSize) * this.pageSize;
    const end = Math.ceil((pa + Math.max(len, 1)) / this.pageSize) * this.pageSize;
    this.ranges.push([start, end]);
  }

  private checkAndCollect(ev: FtraceEvent, where: string): void {
    const e = ev.event;
    if (MAP_SINGLE_EVENTS.has(e)) {
      this.dir(ev, where); this.attrs(ev, where); this.addr(ev, 'dma_addr', where);
      const size = this.size(ev, 'size', where);
      const pa = this.addr(ev, 'phys_addr', where);
      if (e !== 'dma_map_resource' && this.addr(ev, 'dma_addr', where) !== ADDR_UNREPRESENTABLE) this.addRange(pa, size, where);
    } else if (UNMAP_SINGLE_EVENTS.has(e)) {
      this.dir(ev, where); this.addr(ev, 'dma_addr', where); this.size(ev, 'size', where); this.attrs(ev, where);
    } else if (e === 'dma_alloc' || e === 'dma_free') {
      this.addr(ev, 'dma_addr', where); this.size(ev, 'size', where); this.attrs(ev, where);
      if (!ev.fields.has('phys_addr') && !ev.fields.has('virt_addr')) throw malformed(where, e, 'missing "phys_addr=" or "virt_addr="');
    } else if (e === 'dma_alloc_pages' || e === 'dma_free_pages') {
      this.dir(ev, where); this.addr(ev, 'dma_addr', where); this.size(ev, 'size', where); this.attrs(ev, where); this.need(ev, 'virt_addr', where);
    } else if (e === 'dma_alloc_sgt' || e === 'dma_free_sgt') {
      this.dir(ev, where); this.addr(ev, 'dma_addr', where);
      const size = this.size(ev, 'size', where);
      const phys = this.array(ev, 'phys_addrs', where);
      if (e === 'dma_alloc_sgt') {
        this.attrs(ev, where);
        const lens = sgtLengths(phys, size, this.pageSize);
        phys.forEach((pa, i) => this.addRange(pa, lens[i] as number, where));
      }
    } else if (e === 'dma_map_sg') {
      this.dir(ev, where); this.attrs(ev, where);
      this.array(ev, 'dma_addrs', where);
      const sizes = this.array(ev, 'sizes', where);
      const phys = this.array(ev, 'phys_addrs', where);
      for (const k of ['nents', 'ents']) {
        const v = ev.fields.get(k);
        if (v !== undefined && !/^\d+\/\d+$/.test(v)) throw malformed(where, e, `"${k}" must be N/M, got ${show(v)}`);
      }
      if (sizes.length > 0) {
        const lens = sgLengths(phys, sizes, this.pageSize);
        phys.forEach((pa, i) => this.addRange(pa, lens[i] as number, where));
      }
    } else if (e === 'dma_unmap_sg') {
      this.dir(ev, where); this.array(ev, 'phys_addrs', where); this.attrs(ev, where);
    } else if (e === 'dma_sync_single_for_cpu' || e === 'dma_sync_single_for_device') {
      this.dir(ev, where); this.addr(ev, 'dma_addr', where); this.size(ev, 'size', where);
    } else if (e === 'dma_sync_sg_for_cpu' || e === 'dma_sync_sg_for_device') {
      this.dir(ev, where); this.array(ev, 'dma_addrs', where); this.array(ev, 'sizes', where);
    }
  }

  /** Pass 2: emit the ops. */
  finish(): FtraceImport {
    const header: TraceHeader = { dmasim: 'trace', version: TRACE_VERSION, ...(this.opts.header ?? {}) };
    const emitter = new Emitter(this.opts, this.pageSize, this.stats, this.name, this.mergeRegions());
    for (const dev of this.devOrder) emitter.device(dev, this.swiotlbMask.get(dev));
    emitter.allocRegions();
    for (const ev of this.events) emitter.event(ev);
    emitter.freeRegions();
    this.stats.ops = emitter.ops.length;
    return { header, ops: emitter.ops, stats: this.stats };
  }

  private mergeRegions(): Region[] {
    const r = this.ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const out: Region[] = [];
    for (const [s, e] of r) {
      const last = out[out.length - 1];
      if (last && s < last.end) { if (e > last.end) last.end = e; continue; }
      out.push({ start: s, end: e, name: `pa_${hex(s)}` });
    }
    for (const reg of out) {
      if (reg.end - reg.start > this.limits.maxSize) throw new TraceFormatError(this.name, `physical region at 0x${hex(reg.start)} spans ${reg.end - reg.start} bytes, beyond the ${this.limits.maxSize}-byte limit`);
    }
    return out;
  }
}

/** Pass-2 state: live mappings by (device, address), handle names, timestamps. */
class Emitter {
  readonly ops: TraceOp[] = [];
  private readonly live = new Map<string, Mapping>();
  private readonly liveNames = new Set<string>();
  private seed = 1;
  private t0: [number, number] | undefined;
  private lastT = 0;
  private readonly checkErrors: boolean;
  private readonly synth: boolean;

  constructor(private readonly opts: FtraceImportOptions, private readonly pageSize: number, private readonly stats: FtraceImportStats, private readonly name: string, private readonly regions: Region[]) {
    this.checkErrors = opts.assumeMappingErrorChecked ?? true;
    this.synth = opts.synthesizeDeviceAccess ?? true;
  }

  device(dev: string, swiotlbBits: number | undefined): void {
    const info = this.opts.devices?.[dev] ?? {};
    const op: TraceOp = {
      op: 'device', name: dev, coherent: info.coherent ?? false,
      dmaMask: info.dmaMask ?? swiotlbBits ?? this.opts.defaultDmaMask ?? 32, iommu: info.iommu ?? false,
    };
    if (info.driver !== undefined) op.driver = info.driver;
    if (info.strategy !== undefined) op.strategy = info.strategy;
    this.ops.push(op);
  }

  allocRegions(): void {
    for (const r of this.regions) this.ops.push({ op: 'alloc_pages', buf: r.name, size: r.end - r.start });
  }

  freeRegions(): void {
    for (const r of this.regions) this.ops.push({ op: 'free_pages', buf: r.name });
  }

  private locate(pa: number): { buf: string; offset: number } {
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid] as Region;
      if (pa < r.start) hi = mid - 1;
      else if (pa >= r.end) lo = mid + 1;
      else return { buf: r.name, offset: pa - r.start };
    }
    throw new Error(`internal: physical address 0x${hex(pa)} not in any region`);
  }

  private time(ev: FtraceEvent): number {
    if (!this.t0) this.t0 = [ev.sec, ev.nsec];
    let t = (ev.sec - this.t0[0]) * 1e9 + (ev.nsec - this.t0[1]);
    if (t < this.lastT) { this.stats.reordered++; t = this.lastT; }
    if (t > DEFAULT_LIMITS.maxNs) throw new TraceFormatError(`${this.name}:${ev.lineNo}`, `timestamp is more than ${DEFAULT_LIMITS.maxNs} ns after the first event (simulated time is exact only to 2^53 ps)`);
    this.lastT = t;
    return t;
  }

  private handleName(base: string): string {
    if (!this.liveNames.has(base)) return base;
    for (let n = 2; ; n++) if (!this.liveNames.has(`${base}_${n}`)) return `${base}_${n}`;
  }

  private open(m: Omit<Mapping, 'handle'>, base: string): Mapping {
    const mapping: Mapping = { ...m, handle: this.handleName(base) };
    this.liveNames.add(mapping.handle);
    for (const k of mapping.keys) this.live.set(k, mapping);
    return mapping;
  }

  private close(m: Mapping): void {
    this.liveNames.delete(m.handle);
    for (const k of m.keys) if (this.live.get(k) === m) this.live.delete(k);
  }

  /** The live single mapping of `dev` holding dma address `a`, with the offset of `a` in it. */
  private findSingle(dev: string, a: number): { m: Mapping; offset: number } | undefined {
    const exact = this.live.get(`${dev}\0d\0${a}`);
    if (exact) return { m: exact, offset: 0 };
    for (const m of this.live.values()) {
      if (m.dev === dev && m.kind !== 'sg' && m.kind !== 'sgt' && a > m.dmaAddr && a < m.dmaAddr + m.size) return { m, offset: a - m.dmaAddr };
    }
    return undefined;
  }

  /** The device starts owning the buffer (map, sync_for_device): it writes what it produces. */
  private deviceTakes(m: Mapping, offset: number, len: number): void {
    m.deviceOwned = true;
    if (!this.synth || m.kind === 'resource' || m.kind === 'coherent') return;
    if ((m.dir === 'FROM_DEVICE' || m.dir === 'BIDIRECTIONAL') && len > 0 && offset + len <= m.size) {
      this.ops.push({ op: 'dev_write', dev: m.dev, handle: m.handle, offset, len, seed: this.seed++ });
    }
  }

  /** The device gives the buffer back (sync_for_cpu, unmap): it has read what it consumes. */
  private deviceGives(m: Mapping, offset: number, len: number): void {
    if (!m.deviceOwned) return;
    m.deviceOwned = false;
    if (!this.synth || m.kind === 'resource' || m.kind === 'coherent') return;
    if ((m.dir === 'TO_DEVICE' || m.dir === 'BIDIRECTIONAL') && len > 0 && offset + len <= m.size) {
      this.ops.push({ op: 'dev_read', dev: m.dev, handle: m.handle, offset, len });
    }
  }

  private attrs(ev: FtraceEvent): DmaAttrName[] {
    const s = ev.fields.get('attrs') ?? '';
    const out: DmaAttrName[] = [];
    for (const raw of s.length ? s.split('|') : []) {
      const n = FTRACE_ATTR_ALIASES[raw] ?? raw;
      if (isDmaAttrName(n) && !out.includes(n)) out.push(n);
    }
    return maskToAttrs(attrsToMask(out)); // canonical (bit) order, as parseOp gives
  }

  event(ev: FtraceEvent): void {
    this.stats.events++;
    const e = ev.event;
    const dev = ev.dev;
    const f = ev.fields;
    const dir = f.get('dir') as DmaDir;
    const A = (k: string): number => parseHexAddr(f.get(k) as string);
    const N = (k: string): number => Number(f.get(k));
    const arr = (k: string): number[] => parseHexArray(f.get(k) as string) as number[];
    const t = this.time(ev);
    const attrs = this.attrs(ev);

    if (MAP_SINGLE_EVENTS.has(e)) {
      const dma = A('dma_addr');
      if (dma === ADDR_UNREPRESENTABLE) { this.stats.failedMaps++; return; }
      const size = N('size');
      const isRes = e === 'dma_map_resource';
      const m = this.open({ dev, kind: isRes ? 'resource' : 'single', dir, size, dmaAddr: dma, nents: 1, totalNents: 1, deviceOwned: false, keys: [`${dev}\0d\0${dma}`] }, `${isRes ? 'r' : 'd'}_${hex(dma)}`);
      if (isRes) {
        this.ops.push({ op: 'map_resource', t, dev, addr: A('phys_addr'), size, dir, attrs, handle: m.handle });
      } else {
        const { buf, offset } = this.locate(A('phys_addr'));
        this.ops.push({ op: 'map_page', t, dev, buf, offset, size, dir, attrs, handle: m.handle });
      }
      if (this.checkErrors) this.ops.push({ op: 'mapping_error', dev, handle: m.handle });
      this.deviceTakes(m, 0, size);
    } else if (UNMAP_SINGLE_EVENTS.has(e)) {
      const dma = A('dma_addr');
      const isRes = e === 'dma_unmap_resource';
      const found = this.live.get(`${dev}\0d\0${dma}`);
      let handle: string;
      if (found) {
        this.deviceGives(found, 0, found.size);
        this.close(found);
        handle = found.handle;
      } else {
        handle = `${isRes ? 'r' : 'd'}_${dma === ADDR_UNREPRESENTABLE ? 'error' : hex(dma)}`; // unmatched: the replayer reports unmap-unknown
      }
      this.ops.push({ op: isRes ? 'unmap_resource' : 'unmap_page', t, dev, handle, size: N('size'), dir, attrs });
    } else if (e === 'dma_sync_single_for_cpu' || e === 'dma_sync_single_for_device') {
      const dma = A('dma_addr');
      const size = N('size');
      const hit = dma === ADDR_UNREPRESENTABLE ? undefined : this.findSingle(dev, dma);
      const handle = hit ? hit.m.handle : `d_${dma === ADDR_UNREPRESENTABLE ? 'error' : hex(dma)}`;
      const offset = hit ? hit.offset : 0;
      if (e === 'dma_sync_single_for_cpu') {
        if (hit) this.deviceGives(hit.m, offset, size);
        this.ops.push({ op: 'sync_single_for_cpu', t, dev, handle, offset, size, dir });
      } else {
        this.ops.push({ op: 'sync_single_for_device', t, dev, handle, offset, size, dir });
        if (hit) this.deviceTakes(hit.m, offset, size);
      }
    } else if (e === 'dma_map_sg') {
      const dmas = arr('dma_addrs');
      const sizes = arr('sizes');
      const phys = arr('phys_addrs');
      const truncated = ev.words.includes('[TRUNCATED]');
      if (truncated) this.stats.truncatedSg++;
      if (dmas.length === 0 || sizes.length === 0 || phys.length === 0) { this.stats.failedMaps++; return; }
      const total = Math.max(phys.length, ...(f.get('nents')?.split('/').map(Number) ?? []));
      const lens = sgLengths(phys, sizes, this.pageSize);
      const sg: SgEntry[] = phys.map((pa, i) => ({ ...this.locate(pa), len: lens[i] as number }));
      const size = sg.reduce((a, s) => a + s.len, 0);
      const m = this.open({ dev, kind: 'sg', dir, size, dmaAddr: dmas[0] as number, nents: phys.length, totalNents: total, deviceOwned: false, keys: [`${dev}\0d\0sg\0${dmas[0]}`, `${dev}\0p\0${phys[0]}`] }, `sg_${hex(dmas[0] as number)}`);
      const op: TraceOp = { op: 'map_sg', t, dev, sg, dir, attrs, handle: m.handle };
      if (truncated) op.comment = `ftrace printed ${phys.length} of ${total} entries`;
      this.ops.push(op);
      this.deviceTakes(m, 0, size);
    } else if (e === 'dma_unmap_sg') {
      const phys = arr('phys_addrs');
      const found = phys.length > 0 ? this.live.get(`${dev}\0p\0${phys[0]}`) : undefined;
      let handle: string;
      let nents = phys.length;
      if (found) {
        this.deviceGives(found, 0, found.size);
        this.close(found);
        handle = found.handle;
        if (found.nents !== found.totalNents && nents === found.totalNents) nents = found.nents;
      } else {
        handle = `sg_pa_${phys.length > 0 ? hex(phys[0] as number) : 'none'}`;
      }
      this.ops.push({ op: 'unmap_sg', t, dev, handle, nents, dir, attrs });
    } else if (e === 'dma_sync_sg_for_cpu' || e === 'dma_sync_sg_for_device') {
      const dmas = arr('dma_addrs');
      const found = dmas.length > 0 ? this.live.get(`${dev}\0d\0sg\0${dmas[0]}`) : undefined;
      const handle = found ? found.handle : `sg_${dmas.length > 0 ? hex(dmas[0] as number) : 'none'}`;
      if (e === 'dma_sync_sg_for_cpu') {
        if (found) this.deviceGives(found, 0, found.size);
        this.ops.push({ op: 'sync_sg_for_cpu', t, dev, handle, nents: dmas.length, dir });
      } else {
        this.ops.push({ op: 'sync_sg_for_device', t, dev, handle, nents: dmas.length, dir });
        if (found) this.deviceTakes(found, 0, found.size);
      }
    } else if (e === 'dma_alloc') {
      const dma = A('dma_addr');
      if (dma === ADDR_UNREPRESENTABLE) { this.stats.failedMaps++; return; }
      const size = N('size');
      const m = this.open({ dev, kind: 'coherent', dir: 'BIDIRECTIONAL', size, dmaAddr: dma, nents: 1, totalNents: 1, deviceOwned: true, keys: [`${dev}\0c\0${dma}`] }, `c_${hex(dma)}`);
      const op: TraceOp = { op: 'alloc_coherent', t, dev, size, attrs, handle: m.handle };
      if (!attrs.includes('NO_KERNEL_MAPPING')) op.buf = `coh_${hex(dma)}`;
      this.ops.push(op);
    } else if (e === 'dma_free') {
      const dma = A('dma_addr');
      const found = this.live.get(`${dev}\0c\0${dma}`);
      if (found) this.close(found);
      this.ops.push({ op: 'free_coherent', t, dev, handle: found ? found.handle : `c_${hex(dma)}`, size: N('size'), attrs });
    } else if (e === 'dma_alloc_pages') {
      // dma_alloc_pages: non-coherent pages owned by the device until synced — pages plus a mapping.
      const dma = A('dma_addr');
      if (dma === ADDR_UNREPRESENTABLE) { this.stats.failedMaps++; return; }
      const size = N('size');
      const buf = `np_${hex(dma)}`;
      const m = this.open({ dev, kind: 'pages', dir, size, dmaAddr: dma, nents: 1, totalNents: 1, deviceOwned: false, keys: [`${dev}\0d\0${dma}`], buf }, `d_${hex(dma)}`);
      this.ops.push({ op: 'alloc_pages', t, buf, size: Math.max(this.pageSize, Math.ceil(size / this.pageSize) * this.pageSize) });
      this.ops.push({ op: 'map_page', dev, buf, offset: 0, size, dir, attrs, handle: m.handle });
      this.deviceTakes(m, 0, size);
    } else if (e === 'dma_free_pages') {
      const dma = A('dma_addr');
      const found = this.live.get(`${dev}\0d\0${dma}`);
      if (found && found.kind === 'pages') {
        this.deviceGives(found, 0, found.size);
        this.close(found);
        this.ops.push({ op: 'unmap_page', t, dev, handle: found.handle, size: N('size'), dir: found.dir, attrs });
        this.ops.push({ op: 'free_pages', buf: found.buf as string });
      } else {
        this.ops.push({ op: 'unmap_page', t, dev, handle: `d_${hex(dma)}`, size: N('size'), dir, attrs });
      }
    } else if (e === 'dma_alloc_sgt') {
      const dma = A('dma_addr');
      const phys = arr('phys_addrs');
      if (dma === ADDR_UNREPRESENTABLE || phys.length === 0) { this.stats.failedMaps++; return; }
      const size = N('size');
      const lens = sgtLengths(phys, size, this.pageSize);
      const sg: SgEntry[] = phys.map((pa, i) => ({ ...this.locate(pa), len: lens[i] as number }));
      const m = this.open({ dev, kind: 'sgt', dir, size, dmaAddr: dma, nents: phys.length, totalNents: phys.length, deviceOwned: false, keys: [`${dev}\0d\0sg\0${dma}`, `${dev}\0t\0${dma}`] }, `sg_${hex(dma)}`);
      this.ops.push({ op: 'map_sg', t, dev, sg, dir, attrs, handle: m.handle });
      this.deviceTakes(m, 0, size);
    } else if (e === 'dma_free_sgt') {
      const dma = A('dma_addr');
      const found = this.live.get(`${dev}\0t\0${dma}`);
      const nents = arr('phys_addrs').length;
      if (found) { this.deviceGives(found, 0, found.size); this.close(found); }
      this.ops.push({ op: 'unmap_sg', t, dev, handle: found ? found.handle : `sg_${hex(dma)}`, nents, dir });
    }
  }
}

/** Lengths of the physical segments of a map_sg: paired with sizes when the counts match; otherwise
 * (an IOMMU merged segments) each segment runs to its page end and the last takes the rest. */
function sgLengths(phys: number[], sizes: number[], pageSize: number): number[] {
  if (phys.length === sizes.length) return sizes;
  let rest = sizes.reduce((a, b) => a + b, 0);
  return phys.map((pa, i) => {
    const len = i === phys.length - 1 ? rest : Math.min(rest, pageSize - (pa % pageSize));
    rest -= len;
    return len;
  });
}

/** dma_alloc_noncontiguous prints the pages but not their lengths: assume equal shares, at least a page
 * each while the size lasts. */
function sgtLengths(phys: number[], size: number, pageSize: number): number[] {
  let rest = size;
  return phys.map((_, i) => {
    const len = i === phys.length - 1 ? rest : Math.min(rest, Math.max(pageSize, Math.floor(size / phys.length)));
    rest -= len;
    return len;
  });
}
