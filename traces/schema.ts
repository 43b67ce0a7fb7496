// The trace schema of DESIGN.md "Text trace form (JSONL) — contract": header, every operation, and a
// validator that both codecs use so that a JSONL line and a msgpack record yield the same op object.
import { TraceFormatError, show } from './errors.ts';
import { DMA_ATTR_BIT, FTRACE_ATTR_ALIASES, isDmaAttrName, attrsToMask, maskToAttrs } from './kernel-names.ts';
import type { DmaAttrName, DmaDir } from './kernel-names.ts';

export const TRACE_VERSION = 1;

export interface TraceHeader {
  dmasim: 'trace';
  version: number;
  soc?: string;
  seed?: number;
  strategy?: string;
}

/** Fields every operation may carry: `t` schedules at an absolute time (ns), `comment` is free text. */
interface OpBase {
  t?: number;
  comment?: string;
}

export interface SgEntry { buf: string; offset: number; len: number }

export interface Violation {
  kind: string;
  op: number;
  dev: string | null;
  addr: number;
  size: number;
  message: string;
  hint: string;
}

export interface DeviceOp extends OpBase { op: 'device'; name: string; coherent: boolean; dmaMask: number; iommu: boolean; driver?: string; strategy?: string }
export interface KmallocOp extends OpBase { op: 'kmalloc'; buf: string; size: number }
export interface KfreeOp extends OpBase { op: 'kfree'; buf: string; size?: number }
export interface AllocPagesOp extends OpBase { op: 'alloc_pages'; buf: string; size: number }
export interface FreePagesOp extends OpBase { op: 'free_pages'; buf: string; size?: number }
export interface CpuWriteOp extends OpBase { op: 'cpu_write'; buf: string; offset: number; len: number; seed?: number; byte?: number }
export interface CpuRangeOp extends OpBase { op: 'cpu_read' | 'prefetch' | 'evict'; buf: string; offset: number; len: number }
export interface MapSingleOp extends OpBase { op: 'map_single' | 'map_page'; dev: string; buf: string; offset: number; size: number; dir: DmaDir; attrs?: DmaAttrName[]; handle: string }
export interface UnmapSingleOp extends OpBase { op: 'unmap_single' | 'unmap_page' | 'unmap_resource'; dev: string; handle: string; size: number; dir: DmaDir; attrs?: DmaAttrName[] }
export interface MapResourceOp extends OpBase { op: 'map_resource'; dev: string; addr: number; size: number; dir: DmaDir; attrs?: DmaAttrName[]; handle: string }
export interface MapSgOp extends OpBase { op: 'map_sg'; dev: string; sg: SgEntry[]; dir: DmaDir; attrs?: DmaAttrName[]; handle: string }
export interface UnmapSgOp extends OpBase { op: 'unmap_sg'; dev: string; handle: string; nents: number; dir: DmaDir; attrs?: DmaAttrName[] }
export interface MappingErrorOp extends OpBase { op: 'mapping_error'; dev: string; handle: string }
export interface SyncSingleOp extends OpBase { op: 'sync_single_for_cpu' | 'sync_single_for_device'; dev: string; handle: string; offset: number; size: number; dir: DmaDir }
export interface SyncSgOp extends OpBase { op: 'sync_sg_for_cpu' | 'sync_sg_for_device'; dev: string; handle: string; nents: number; dir: DmaDir }
export interface AllocCoherentOp extends OpBase { op: 'alloc_coherent'; dev: string; size: number; attrs?: DmaAttrName[]; handle: string; buf?: string }
export interface FreeCoherentOp extends OpBase { op: 'free_coherent'; dev: string; handle: string; size?: number; attrs?: DmaAttrName[] }
export interface DevWriteOp extends OpBase { op: 'dev_write'; dev: string; handle: string; offset: number; len: number; seed?: number; byte?: number }
export interface DevReadOp extends OpBase { op: 'dev_read'; dev: string; handle: string; offset: number; len: number }
export interface WmbOp extends OpBase { op: 'wmb' }
export interface DelayOp extends OpBase { op: 'delay'; ns: number }
export interface RemoveDeviceOp extends OpBase { op: 'remove_device'; dev: string }
/** Recorded by the recorder: a device raised its interrupt (e.g. a transfer completed). */
export interface InterruptOp extends OpBase { op: 'interrupt'; dev: string; irq?: number; name?: string }
/** Recorded by the recorder: a violation found while running (the contract object, nested). */
export interface ViolationOp extends OpBase { op: 'violation'; violation: Violation }
/**
 * dma_mmap_attrs: a user-space view `buf` of a coherent allocation, with the allocation's memory type;
 * `cacheable: true` models a driver that remaps it with remap_pfn_range and cacheable attributes instead.
 */
export interface MmapOp extends OpBase { op: 'mmap'; dev: string; handle: string; buf: string; cacheable?: boolean }

export type TraceOp =
  | DeviceOp | KmallocOp | KfreeOp | AllocPagesOp | FreePagesOp | CpuWriteOp | CpuRangeOp
  | MapSingleOp | UnmapSingleOp | MapResourceOp | MapSgOp | UnmapSgOp | MappingErrorOp
  | SyncSingleOp | SyncSgOp | AllocCoherentOp | FreeCoherentOp | DevWriteOp | DevReadOp
  | WmbOp | DelayOp | RemoveDeviceOp | InterruptOp | ViolationOp | MmapOp;
export type OpName = TraceOp['op'];

/** How a field is checked and encoded. */
export type FieldKind =
  | 'name'      // non-empty string (buffer, handle, device names)
  | 'text'      // any string (driver, comment, messages)
  | 'bool'
  | 'size'      // integer 0..limits.maxSize
  | 'count'     // integer 0..limits.maxSgEntries
  | 'addr'      // integer 0..2^53-1
  | 'u32'       // integer 0..2^32-1 (seeds)
  | 'byte'      // integer 0..255
  | 'maskBits'  // integer 1..64
  | 'irq'       // integer 0..2^31-1
  | 'index'     // integer 0..2^53-1 (op index)
  | 'ns'        // integer 0..limits.maxNs
  | 'dir'
  | 'attrs'
  | 'sg'
  | 'violation';

export interface FieldSpec { readonly key: string; readonly kind: FieldKind; readonly optional?: true }

const f = (key: string, kind: FieldKind): FieldSpec => ({ key, kind });
const opt = (key: string, kind: FieldKind): FieldSpec => ({ key, kind, optional: true });

const MAP_SINGLE = [f('dev', 'name'), f('buf', 'name'), f('offset', 'size'), f('size', 'size'), f('dir', 'dir'), opt('attrs', 'attrs'), f('handle', 'name')];
const UNMAP_SINGLE = [f('dev', 'name'), f('handle', 'name'), f('size', 'size'), f('dir', 'dir'), opt('attrs', 'attrs')];
const CPU_RANGE = [f('buf', 'name'), f('offset', 'size'), f('len', 'size')];
const SYNC_SINGLE = [f('dev', 'name'), f('handle', 'name'), f('offset', 'size'), f('size', 'size'), f('dir', 'dir')];
const SYNC_SG = [f('dev', 'name'), f('handle', 'name'), f('nents', 'count'), f('dir', 'dir')];

/**
 * Every operation's fields in their canonical order. The order is the JSONL key order and the msgpack
 * positional order, and the position of an op in this table is its msgpack code: append only.
 */
export const OP_FIELDS: Readonly<Record<OpName, readonly FieldSpec[]>> = {
  device: [f('name', 'name'), f('coherent', 'bool'), f('dmaMask', 'maskBits'), f('iommu', 'bool'), opt('driver', 'text'), opt('strategy', 'name')],
  kmalloc: [f('buf', 'name'), f('size', 'size')],
  kfree: [f('buf', 'name'), opt('size', 'size')],
  alloc_pages: [f('buf', 'name'), f('size', 'size')],
  free_pages: [f('buf', 'name'), opt('size', 'size')],
  cpu_write: [...CPU_RANGE, opt('seed', 'u32'), opt('byte', 'byte')],
  cpu_read: CPU_RANGE,
  prefetch: CPU_RANGE,
  evict: CPU_RANGE,
  map_single: MAP_SINGLE,
  unmap_single: UNMAP_SINGLE,
  map_sg: [f('dev', 'name'), f('sg', 'sg'), f('dir', 'dir'), opt('attrs', 'attrs'), f('handle', 'name')],
  unmap_sg: [f('dev', 'name'), f('handle', 'name'), f('nents', 'count'), f('dir', 'dir'), opt('attrs', 'attrs')],
  mapping_error: [f('dev', 'name'), f('handle', 'name')],
  sync_single_for_cpu: SYNC_SINGLE,
  sync_single_for_device: SYNC_SINGLE,
  sync_sg_for_cpu: SYNC_SG,
  sync_sg_for_device: SYNC_SG,
  alloc_coherent: [f('dev', 'name'), f('size', 'size'), opt('attrs', 'attrs'), f('handle', 'name'), opt('buf', 'name')],
  free_coherent: [f('dev', 'name'), f('handle', 'name'), opt('size', 'size'), opt('attrs', 'attrs')],
  dev_write: [f('dev', 'name'), f('handle', 'name'), f('offset', 'size'), f('len', 'size'), opt('seed', 'u32'), opt('byte', 'byte')],
  dev_read: [f('dev', 'name'), f('handle', 'name'), f('offset', 'size'), f('len', 'size')],
  wmb: [],
  delay: [f('ns', 'ns')],
  remove_device: [f('dev', 'name')],
  map_page: MAP_SINGLE,
  unmap_page: UNMAP_SINGLE,
  map_resource: [f('dev', 'name'), f('addr', 'addr'), f('size', 'size'), f('dir', 'dir'), opt('attrs', 'attrs'), f('handle', 'name')],
  unmap_resource: UNMAP_SINGLE,
  interrupt: [f('dev', 'name'), opt('irq', 'irq'), opt('name', 'text')],
  violation: [f('violation', 'violation')],
  mmap: [f('dev', 'name'), f('handle', 'name'), f('buf', 'name'), opt('cacheable', 'bool')],
};

export const OP_NAMES: readonly OpName[] = Object.keys(OP_FIELDS) as OpName[];
export function isOpName(s: unknown): s is OpName {
  return typeof s === 'string' && Object.hasOwn(OP_FIELDS, s);
}

/** Bounds that keep hostile traces from asking for absurd memory. */
export interface TraceLimits {
  /** Largest size, length or offset in bytes (default 2^40 = 1 TiB). */
  maxSize: number;
  /** Longest scatterlist and largest nents (default 2^20). */
  maxSgEntries: number;
  /** alloc_pages sizes must be multiples of this (default 4096). */
  pageSize: number;
  /** Largest `t`/`ns`: simulated time is ps in a JS number, exact to 2^53 ps. */
  maxNs: number;
  /** Longest name or text field in characters (default 4096). */
  maxStringLength: number;
}

export const DEFAULT_LIMITS: Readonly<TraceLimits> = {
  maxSize: 2 ** 40,
  maxSgEntries: 2 ** 20,
  pageSize: 4096,
  maxNs: Math.floor(Number.MAX_SAFE_INTEGER / 1000),
  maxStringLength: 4096,
};

export function resolveLimits(partial?: Partial<TraceLimits>): TraceLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}

const MAX_IRQ = 2 ** 31 - 1;

function intIn(v: unknown, lo: number, hi: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
}

/** Checks one field value; returns the normalized value or throws with `where` and what was expected. */
export function checkField(kind: FieldKind, v: unknown, key: string, op: string, where: string, lim: TraceLimits): unknown {
  // Hot path (every field of every record): no closures, no allocation unless the value is bad.
  switch (kind) {
    case 'name':
      if (typeof v !== 'string' || v.length === 0 || v.length > lim.maxStringLength) badField(kind, v, key, op, where, lim);
      return v;
    case 'text':
      if (typeof v !== 'string' || v.length > lim.maxStringLength) badField(kind, v, key, op, where, lim);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') badField(kind, v, key, op, where, lim);
      return v;
    case 'size':
      if (!intIn(v, 0, lim.maxSize)) badField(kind, v, key, op, where, lim);
      return v;
    case 'count':
      if (!intIn(v, 0, lim.maxSgEntries)) badField(kind, v, key, op, where, lim);
      return v;
    case 'addr':
    case 'index':
      if (!intIn(v, 0, Number.MAX_SAFE_INTEGER)) badField(kind, v, key, op, where, lim);
      return v;
    case 'u32':
      if (!intIn(v, 0, 0xffffffff)) badField(kind, v, key, op, where, lim);
      return v;
    case 'byte':
      if (!intIn(v, 0, 255)) badField(kind, v, key, op, where, lim);
      return v;
    case 'maskBits':
      if (!intIn(v, 1, 64)) badField(kind, v, key, op, where, lim);
      return v;
    case 'irq':
      if (!intIn(v, 0, MAX_IRQ)) badField(kind, v, key, op, where, lim);
      return v;
    case 'ns':
      if (!intIn(v, 0, lim.maxNs)) badField(kind, v, key, op, where, lim);
      return v;
    case 'dir':
      if (v !== 'TO_DEVICE' && v !== 'FROM_DEVICE' && v !== 'BIDIRECTIONAL') badField(kind, v, key, op, where, lim);
      return v;
    case 'attrs':
      return checkAttrs(v, key, op, where);
    case 'sg':
      return checkSg(v, key, op, where, lim);
    case 'violation':
      return checkViolation(v, op, where, lim);
  }
}

function expectedFor(kind: FieldKind, lim: TraceLimits): string {
  switch (kind) {
    case 'name': return `a non-empty string of at most ${lim.maxStringLength} characters`;
    case 'text': return `a string of at most ${lim.maxStringLength} characters`;
    case 'bool': return 'true or false';
    case 'size': return `an integer from 0 to ${lim.maxSize} (bytes)`;
    case 'count': return `an integer from 0 to ${lim.maxSgEntries}`;
    case 'addr': case 'index': return 'an integer from 0 to 2^53-1';
    case 'u32': return 'an integer from 0 to 4294967295';
    case 'byte': return 'an integer from 0 to 255';
    case 'maskBits': return 'a number of address bits from 1 to 64';
    case 'irq': return `an integer from 0 to ${MAX_IRQ}`;
    case 'ns': return `an integer number of ns from 0 to ${lim.maxNs}`;
    case 'dir': return 'TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL';
    default: return kind;
  }
}

function badField(kind: FieldKind, v: unknown, key: string, op: string, where: string, lim: TraceLimits): never {
  throw new TraceFormatError(where, `${op}: "${key}" must be ${expectedFor(kind, lim)}, got ${show(v)}`);
}

function checkAttrs(v: unknown, key: string, op: string, where: string): DmaAttrName[] {
  if (!Array.isArray(v)) throw new TraceFormatError(where, `${op}: "${key}" must be an array of attribute names (e.g. ["SKIP_CPU_SYNC"]), got ${show(v)}`);
  let mask = 0;
  for (const a of v) {
    const name = typeof a === 'string' ? (FTRACE_ATTR_ALIASES[a] ?? a) : a;
    if (typeof name !== 'string' || !isDmaAttrName(name)) {
      throw new TraceFormatError(where, `${op}: "${key}" entries must be DMA attribute names without the DMA_ATTR_ prefix (${Object.keys(DMA_ATTR_BIT).join(', ')}), got ${show(a)}`);
    }
    mask |= 1 << DMA_ATTR_BIT[name];
  }
  // Canonical order (bit order, no duplicates) so that both encodings give identical objects.
  return maskToAttrs(mask);
}


function checkSg(v: unknown, key: string, op: string, where: string, lim: TraceLimits): SgEntry[] {
  if (!Array.isArray(v)) throw new TraceFormatError(where, `${op}: "${key}" must be an array of {buf, offset, len}, got ${show(v)}`);
  if (v.length === 0 || v.length > lim.maxSgEntries) {
    throw new TraceFormatError(where, `${op}: "${key}" must have 1 to ${lim.maxSgEntries} entries, got ${v.length}`);
  }
  const out: SgEntry[] = new Array<SgEntry>(v.length);
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    const k = `${key}[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new TraceFormatError(where, `${op}: "${k}" must be an object {buf, offset, len}, got ${show(e)}`);
    const o = e as Record<string, unknown>;
    for (const extra of Object.keys(o)) {
      if (extra !== 'buf' && extra !== 'offset' && extra !== 'len') throw new TraceFormatError(where, `${op}: "${k}" has unknown field "${extra}" (expected buf, offset, len)`);
    }
    out[i] = {
      buf: checkField('name', o['buf'], `${k}.buf`, op, where, lim) as string,
      offset: checkField('size', o['offset'], `${k}.offset`, op, where, lim) as number,
      len: checkField('size', o['len'], `${k}.len`, op, where, lim) as number,
    };
  }
  return out;
}

const VIOLATION_KEYS = ['kind', 'op', 'dev', 'addr', 'size', 'message', 'hint'] as const;

function checkViolation(v: unknown, op: string, where: string, lim: TraceLimits): Violation {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TraceFormatError(where, `${op}: "violation" must be an object {kind, op, dev, addr, size, message, hint}, got ${show(v)}`);
  const o = v as Record<string, unknown>;
  for (const extra of Object.keys(o)) {
    if (!(VIOLATION_KEYS as readonly string[]).includes(extra)) throw new TraceFormatError(where, `${op}: "violation" has unknown field "${extra}"`);
  }
  const dev = o['dev'];
  return {
    kind: checkField('name', o['kind'], 'violation.kind', op, where, lim) as string,
    op: checkField('index', o['op'], 'violation.op', op, where, lim) as number,
    dev: dev === null ? null : (checkField('text', dev, 'violation.dev', op, where, lim) as string),
    addr: checkField('addr', o['addr'], 'violation.addr', op, where, lim) as number,
    size: checkField('addr', o['size'], 'violation.size', op, where, lim) as number,
    message: checkField('text', o['message'], 'violation.message', op, where, lim) as string,
    hint: checkField('text', o['hint'], 'violation.hint', op, where, lim) as string,
  };
}

/** Rules that span fields. */
export function checkOpRules(o: TraceOp, where: string, lim: TraceLimits): void {
  if (o.op === 'cpu_write' || o.op === 'dev_write') {
    if ((o.seed === undefined) === (o.byte === undefined)) {
      throw new TraceFormatError(where, `${o.op}: exactly one of "seed" (pseudo-random bytes) or "byte" (fill value) is required`);
    }
  } else if (o.op === 'alloc_pages' && o.size % lim.pageSize !== 0) {
    throw new TraceFormatError(where, `alloc_pages: "size" must be a multiple of the page size ${lim.pageSize}, got ${o.size}`);
  }
}

/**
 * Validates a decoded JSON object as one trace operation and returns it in canonical form (key order of
 * OP_FIELDS: op, t, fields…, comment; attrs in bit order). Unknown keys are errors: a typo must not be
 * silently ignored.
 */
export function parseOp(obj: unknown, where: string, limits: TraceLimits = DEFAULT_LIMITS): TraceOp {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new TraceFormatError(where, `expected an operation object {"op": ...}, got ${show(obj)}`);
  }
  const o = obj as Record<string, unknown>;
  const name = o['op'];
  if (!isOpName(name)) {
    throw new TraceFormatError(where, `"op" must be one of ${OP_NAMES.join(', ')}, got ${show(name)}`);
  }
  const fields = OP_FIELDS[name];
  const out: Record<string, unknown> = { op: name };
  if (o['t'] !== undefined) out['t'] = checkField('ns', o['t'], 't', name, where, limits);
  for (const fs of fields) {
    const v = o[fs.key];
    if (v === undefined) {
      if (fs.optional) continue;
      throw new TraceFormatError(where, `${name}: missing "${fs.key}" (fields: ${fields.map((x) => x.key + (x.optional ? '?' : '')).join(', ')})`);
    }
    out[fs.key] = checkField(fs.kind, v, fs.key, name, where, limits);
  }
  if (o['comment'] !== undefined) out['comment'] = checkField('text', o['comment'], 'comment', name, where, limits);
  for (const k of Object.keys(o)) {
    if (k !== 'op' && k !== 't' && k !== 'comment' && !fields.some((x) => x.key === k)) {
      throw new TraceFormatError(where, `${name}: unknown field "${k}" (fields: ${fields.map((x) => x.key).join(', ') || 'none'}, t, comment)`);
    }
  }
  const op = out as unknown as TraceOp;
  checkOpRules(op, where, limits);
  return op;
}

/** Validates the first record of a trace. Unknown future versions are refused with a clear message. */
export function parseHeader(obj: unknown, where: string): TraceHeader {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || (obj as Record<string, unknown>)['dmasim'] !== 'trace') {
    throw new TraceFormatError(where, `expected the trace header {"dmasim":"trace","version":${TRACE_VERSION},...} first, got ${show(obj)}`);
  }
  const o = obj as Record<string, unknown>;
  const version = o['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new TraceFormatError(where, `header: "version" must be a positive integer, got ${show(version)}`);
  }
  if (version > TRACE_VERSION) {
    throw new TraceFormatError(where, `header: trace format version ${version} is newer than this dmasim understands (${TRACE_VERSION}); upgrade dmasim`);
  }
  const h: TraceHeader = { dmasim: 'trace', version };
  for (const k of Object.keys(o)) {
    if (k === 'dmasim' || k === 'version') continue;
    const v = o[k];
    if (k === 'soc' || k === 'strategy') {
      if (typeof v !== 'string' || v.length === 0 || v.length > 256) throw new TraceFormatError(where, `header: "${k}" must be a non-empty string, got ${show(v)}`);
      h[k] = v;
    } else if (k === 'seed') {
      if (!intIn(v, 0, 0xffffffff)) throw new TraceFormatError(where, `header: "seed" must be an integer from 0 to 4294967295, got ${show(v)}`);
      h.seed = v;
    } else {
      throw new TraceFormatError(where, `header: unknown field "${k}" (fields: dmasim, version, soc, seed, strategy)`);
    }
  }
  // Canonical key order.
  const c: TraceHeader = { dmasim: 'trace', version: h.version };
  if (h.soc !== undefined) c.soc = h.soc;
  if (h.seed !== undefined) c.seed = h.seed;
  if (h.strategy !== undefined) c.strategy = h.strategy;
  return c;
}

/** The attribute bit mask of an op's attrs (0 when absent). */
export function opAttrMask(attrs: readonly DmaAttrName[] | undefined): number {
  return attrs ? attrsToMask(attrs) : 0;
}
