// The coherency checker: an oracle that knows, for every byte of DMA-visible memory, which write the
// next reader should see under the DMA API's ownership rules, and compares it with the write the
// simulated CPU or device actually observed through the real caches and DRAM. Versions, not byte values,
// are compared, so stale data that happens to equal the new data is still caught.
import { PagedArray, VERSION_PAGE_ELEMENTS, VERSION_PAGE_RUNS } from '../../soc/memory/paged-array.ts';
import { DmaDirection } from '../types.ts';
import type { Violation, ViolationKind } from '../violation.ts';
import type { UniformReadObserver } from '../../soc/cache/index.ts';
import { BounceAliases } from './bounce-aliases.ts';
import { OwnershipTracker } from './ownership.ts';
import type { OwnedRange } from './ownership.ts';
import { WriteLog, CPU_AGENT, formatNs } from './write-log.ts';
import { firstMismatch, mismatchRun } from './version-compare.ts';
import { describeLine, hintFor } from './explain.ts';
import type { LineHistoryLike } from './explain.ts';

export interface CheckerOptions {
  dramBase: number;
  dramSize: number;
  lineBytes: number;
  /** Current simulated time in ps (for the write log). */
  now: () => number;
  /** Where violations go (the DMA system fills in the trace op). */
  report: (v: Violation) => void;
  /** The memory system's per-line history, for explanations. */
  history?: LineHistoryLike;
}

const DIR_NAMES = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE'];

export class CoherencyChecker implements UniformReadObserver {
  readonly log = new WriteLog();
  readonly ownership = new OwnershipTracker();
  readonly bounces = new BounceAliases();
  /** Index of the trace operation being executed (-1 outside a replay). */
  op = -1;
  /** Set while the DMA layer does its own copies (bounce buffers): those are not logical writes or reads. */
  internal = 0;
  private readonly latest: PagedArray<Uint32Array>;
  private expected = new Uint32Array(4096);
  // A read shown as one version, spelled out per byte for the general compare (a mismatch or a bounce).
  private observedRun = new Uint32Array(64);
  private readonly opts: CheckerOptions;
  private readonly counts = new Map<ViolationKind, number>();

  constructor(opts: CheckerOptions) {
    this.opts = opts;
    this.latest = new PagedArray((n) => new Uint32Array(n), opts.dramBase, opts.dramSize, 'checker', VERSION_PAGE_ELEMENTS, VERSION_PAGE_RUNS);
  }

  /** Violations reported so far, by kind. */
  countsByKind(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort());
  }

  // ---- DMA API hooks --------------------------------------------------------------------------

  onMap(dev: string, dmaAddr: number, pa: number, len: number, dir: DmaDirection): void {
    this.ownership.map(dev, dmaAddr, pa, len, dir, this.op);
  }

  onUnmap(dev: string, dmaAddr: number): void {
    this.ownership.unmap(dev, dmaAddr);
  }

  onSyncForCpu(dev: string, dmaAddr: number): void {
    this.ownership.setOwner(dev, dmaAddr, 'cpu', this.op);
  }

  onSyncForDevice(dev: string, dmaAddr: number): void {
    this.ownership.setOwner(dev, dmaAddr, 'device', this.op);
  }

  onBounceStart(bouncePa: number, origPa: number, len: number): void {
    this.bounces.add(bouncePa, origPa, len);
  }

  onBounceEnd(bouncePa: number): void {
    this.bounces.remove(bouncePa);
  }

  /** Runs `fn` as kernel-internal data movement (bounce copies): versions travel, nothing is checked. */
  asInternal<T>(fn: () => T): T {
    this.internal++;
    try {
      return fn();
    } finally {
      this.internal--;
    }
  }

  // ---- DataObserver ---------------------------------------------------------------------------

  cpuWriteVersion(core: number, pa: number, len: number): number {
    const v = this.log.record(CPU_AGENT, this.op, this.opts.now());
    if (this.internal > 0 || !this.inDram(pa, len)) return v;
    this.checkOwnership(core, pa, len, 'writes');
    this.latest.fill(pa, len, v);
    return v;
  }

  cpuCopied(core: number, pa: number, len: number, versions: Uint32Array, off: number): void {
    if (this.internal > 0 || !this.inDram(pa, len)) return;
    this.checkOwnership(core, pa, len, 'writes');
    // A memcpy moves data: the destination now holds the source's writes (stale ones included).
    this.latest.write(pa, versions, off, len);
  }

  deviceWriteVersion(master: string, pa: number, len: number): number {
    const v = this.log.record(this.log.agent(master), this.op, this.opts.now());
    if (!this.inDram(pa, len)) return v;
    // The device writes the driver's buffer, even when the bytes land in a bounce buffer.
    if (this.bounces.size === 0) this.latest.fill(pa, len, v); // no bounce in use: no closure per write
    else this.forLogicalRuns(pa, len, (lpa, n) => this.latest.fill(lpa, n, v));
    return v;
  }

  cpuRead(core: number, pa: number, len: number, versions: Uint32Array, off: number): void {
    if (this.internal > 0 || !this.inDram(pa, len)) return;
    this.checkOwnership(core, pa, len, 'reads');
    this.compare('cpu', '', core, pa, pa, len, versions, off);
  }

  cpuCopiedUniform(core: number, pa: number, len: number, version: number): void {
    if (this.internal > 0 || !this.inDram(pa, len)) return;
    this.checkOwnership(core, pa, len, 'writes');
    this.latest.fill(pa, len, version);
  }

  cpuReadUniform(core: number, pa: number, len: number, version: number): void {
    if (this.internal > 0 || !this.inDram(pa, len)) return;
    this.checkOwnership(core, pa, len, 'reads');
    // The read is right if the oracle expects that one version throughout; else compare per byte.
    if (this.latest.uniformValue(pa, len) === version) return;
    this.compare('cpu', '', core, pa, pa, len, this.spelledOut(len, version), 0);
  }

  deviceReadUniform(master: string, pa: number, len: number, version: number): void {
    if (!this.inDram(pa, len)) return;
    if (this.bounces.size === 0 && this.latest.uniformValue(pa, len) === version) return;
    this.deviceRead(master, pa, len, this.spelledOut(len, version), 0);
  }

  deviceRead(master: string, pa: number, len: number, versions: Uint32Array, off: number): void {
    if (!this.inDram(pa, len)) return;
    if (this.bounces.size === 0) {
      this.compare('device', master, -1, pa, pa, len, versions, off);
      return;
    }
    let done = 0;
    this.forLogicalRuns(pa, len, (lpa, n) => {
      this.compare('device', master, -1, pa + done, lpa, n, versions, off + done);
      done += n;
    });
  }

  writeBack(lineAddr: number, len: number, incoming: Uint32Array, inOff: number, overwritten: Uint32Array, owOff: number, level: string): void {
    // Bytes a device wrote after this line was last filled are about to be overwritten by older data.
    for (let i = 0; i < len; i++) {
      const old = overwritten[owOff + i]!;
      const inc = incoming[inOff + i]!;
      if (old <= inc) continue;
      const writer = this.log.writerOf(old);
      if (writer === CPU_AGENT || writer < 0) continue;
      if (!this.isLatestAnywhere(lineAddr + i, old)) continue;
      const run = countWhile(i, len, (j) => overwritten[owOff + j]! > incoming[inOff + j]! && this.isLatestAnywhere(lineAddr + j, overwritten[owOff + j]!));
      const dev = this.log.agentName(writer);
      this.emit('lost-device-write', dev, lineAddr + i, run,
        `dirty ${level} line ${hex(lineAddr)} was written back over ${run} bytes that ${dev} had written (${this.log.describe(old)}), ` +
        `replacing them with ${this.log.describe(inc)}${this.lineStory(lineAddr)}`);
      return;
    }
  }

  writeBackUniform(lineAddr: number, len: number, incoming: number, overwritten: number, level: string): void {
    // Nothing newer is overwritten: every byte passes writeBack's first test.
    if (overwritten <= incoming) return;
    this.writeBack(lineAddr, len, this.spelledOut(len, incoming).slice(0, len), 0, this.spelledOut(len, overwritten), 0, level);
  }

  discardDirty(lineAddr: number, len: number, dropped: Uint32Array, dropOff: number, memory: Uint32Array, memOff: number, level: string, rangeLo: number, rangeHi: number): void {
    // CPU bytes lost: newer than what stays below, still the latest write, and outside the range the
    // invalidate was issued for (inside it, discarding them is what the DMA API asked for).
    const lost = (j: number): boolean => {
      const d = dropped[dropOff + j]!;
      const a = lineAddr + j;
      return d > memory[memOff + j]! && this.log.writerOf(d) === CPU_AGENT && (a < rangeLo || a >= rangeHi) && this.isLatestAnywhere(a, d);
    };
    for (let i = 0; i < len; i++) {
      if (!lost(i)) continue;
      const d = dropped[dropOff + i]!;
      const run = countWhile(i, len, lost);
      const owner = this.ownership.overlapping(lineAddr, len);
      this.emit('lost-cpu-write', owner?.dev ?? 'cpu', lineAddr + i, run,
        `an invalidate of ${level} line ${hex(lineAddr)} discarded ${run} bytes of CPU data (${this.log.describe(d)}) that were never written back` +
        (owner ? `; the line is shared with the ${DIR_NAMES[owner.dir]} DMA buffer ${hex(owner.pa)}+${owner.len} of ${owner.dev}` : '') +
        this.lineStory(lineAddr));
      return;
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  /** `master` names a device reader; a CPU reader is named by `core` only when a violation is reported (no string per read). */
  private compare(reader: 'cpu' | 'device', master: string, core: number, pa: number, lpa: number, len: number, observed: Uint32Array, off: number): void {
    // Short reads (cache lines) of a run one write covered: compare against the value, no read-out.
    if (len <= UNIFORM_COMPARE_MAX) {
      const u = this.latest.uniformValue(lpa, len);
      if (u >= 0 && allEqual(observed, off, len, u)) return;
    }
    if (this.expected.length < len) this.expected = new Uint32Array(Math.max(len, this.expected.length * 2));
    this.latest.read(lpa, this.expected, 0, len);
    const i = firstMismatch(observed, off, this.expected, 0, len);
    if (i < 0) return;
    const got = observed[off + i]!;
    const want = this.expected[i]!;
    const run = mismatchRun(observed, off, this.expected, 0, i, len);
    const wantWriter = this.log.writerOf(want);
    const addr = lpa + i;
    const line = addr - (addr % this.opts.lineBytes);
    const name = reader === 'cpu' ? `cpu${core}` : master;
    if (reader === 'cpu') {
      const owner = this.ownership.overlapping(addr, run);
      const kind: ViolationKind = wantWriter === CPU_AGENT ? 'lost-cpu-write' : 'stale-cpu-read';
      const dev = wantWriter === CPU_AGENT ? owner?.dev ?? 'cpu' : this.log.agentName(wantWriter);
      this.emit(kind, dev, addr, run,
        `${name} read ${run} stale bytes at ${hex(addr)} (line ${hex(line)}): it saw ${this.log.describe(got)} ` +
        `instead of ${this.log.describe(want)}${this.ownerStory(owner)}${this.lineStory(line)}`, owner);
    } else {
      const kind: ViolationKind = wantWriter === CPU_AGENT || wantWriter < 0 ? 'stale-device-read' : 'lost-device-write';
      const where = pa !== lpa ? ` (bounce buffer ${hex(pa + i)})` : '';
      this.emit(kind, name, addr, run,
        `${name} read ${run} stale bytes at ${hex(addr)}${where} from memory: it saw ${this.log.describe(got)} ` +
        `instead of ${this.log.describe(want)}, which was still in a CPU cache or never reached this buffer${this.lineStory(line)}`);
    }
  }

  /** observedRun[0, len) = version (a one-version read for the per-byte compare). */
  private spelledOut(len: number, version: number): Uint32Array {
    if (this.observedRun.length < len) this.observedRun = new Uint32Array(Math.max(len, this.observedRun.length * 2));
    this.observedRun.fill(version, 0, len);
    return this.observedRun;
  }

  private checkOwnership(core: number, pa: number, len: number, verb: 'reads' | 'writes'): void {
    const r = this.ownership.deviceOwned(pa, len);
    if (r) this.reportDeviceOwned(core, pa, len, verb, r);
  }

  /** checkOwnership's violation (its message kept out of the check, which runs on every CPU access). */
  private reportDeviceOwned(core: number, pa: number, len: number, verb: 'reads' | 'writes', r: OwnedRange): void {
    // Reading a buffer the device only reads (TO_DEVICE) cannot corrupt it, but it still breaks the rule.
    this.emit('cpu-access-device-owned', r.dev, Math.max(pa, r.pa), Math.min(pa + len, r.pa + r.len) - Math.max(pa, r.pa),
      `cpu${core} ${verb} ${hex(pa)}+${len} while ${r.dev} owns the ${DIR_NAMES[r.dir]} mapping ${hex(r.pa)}+${r.len} ` +
      `(mapped at op ${r.mappedAt}${r.changedAt !== r.mappedAt ? `, given to the device at op ${r.changedAt}` : ''})`, r);
  }

  private emit(kind: ViolationKind, dev: string, addr: number, size: number, message: string, owner?: OwnedRange): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const story = this.opts.history?.query(addr) ?? [];
    this.opts.report({ kind, op: this.op, dev, addr, size, message, hint: hintFor(kind, owner, story) });
  }

  private ownerStory(owner: OwnedRange | undefined): string {
    if (!owner) return '';
    if (owner.owner === 'device') {
      return `; the ${DIR_NAMES[owner.dir]} mapping ${hex(owner.pa)}+${owner.len} still belongs to ${owner.dev} (no dma_sync_single_for_cpu or unmap since op ${owner.changedAt})`;
    }
    return `; the ${DIR_NAMES[owner.dir]} mapping was synced for the CPU at op ${owner.changedAt}`;
  }

  private lineStory(line: number): string {
    const h = this.opts.history;
    if (!h) return '';
    const text = describeLine(h.query(line), formatNs);
    return text ? `; line history: ${text}` : '';
  }

  /** True when `version` is still what the oracle expects at `pa` (physical, or the original behind a bounce). */
  private isLatestAnywhere(pa: number, version: number): boolean {
    const lpa = this.bounces.logical(pa);
    if (lpa < this.opts.dramBase || lpa >= this.opts.dramBase + this.opts.dramSize) return false;
    this.latest.read(lpa, this.expected, 0, 1);
    return this.expected[0] === version;
  }

  private forLogicalRuns(pa: number, len: number, fn: (lpa: number, n: number) => void): void {
    if (this.bounces.size === 0) {
      fn(pa, len);
      return;
    }
    let done = 0;
    while (done < len) {
      const p = pa + done;
      const n = Math.min(len - done, this.bounces.runLength(p));
      fn(this.bounces.logical(p), n);
      done += n;
    }
  }

  private inDram(pa: number, len: number): boolean {
    return pa >= this.opts.dramBase && pa + len <= this.opts.dramBase + this.opts.dramSize;
  }
}

/** Reads up to this many versions long are checked against a uniform expected run by a loop. */
const UNIFORM_COMPARE_MAX = 64;

function allEqual(a: Uint32Array, off: number, len: number, value: number): boolean {
  for (let i = 0; i < len; i++) if (a[off + i] !== value) return false;
  return true;
}

function countWhile(from: number, len: number, pred: (j: number) => boolean): number {
  let j = from;
  while (j < len && pred(j)) j++;
  return j - from;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

export { DmaDirection };
