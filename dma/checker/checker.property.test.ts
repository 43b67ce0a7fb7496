// Properties of the coherency checker over random driver behaviour replayed end to end (traces/ replayer on
// a real machine, speculation on): a correct driver is never reported, and one wrong step is reported with
// the kind that step causes.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { replayOps } from '../../traces/replay.ts';
import type { TraceHeader, TraceOp } from '../../traces/schema.ts';

const STRATEGIES = ['direct', 'swiotlb', 'dmabounce', 'iommu-strict', 'iommu-lazy', 'acp', 'ace-lite', 'coherent'] as const;
const DEV = '12680000.pdma';
const PAGE = 4096;

type Dir = 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL';

interface Transfer {
  kind: 'stream' | 'coherent';
  dir: Dir;
  pages: number;
  /** Streaming FROM_DEVICE/BIDIRECTIONAL: extra rounds of device write → sync_for_cpu → read → sync_for_device. */
  rounds: number;
  /** Part of the buffer the CPU reads back (offset, length as fractions of the buffer). */
  readFrom: number;
  readLen: number;
  seed: number;
}

type Mutation = 'none' | 'drop-sync' | 'swap-dir' | 'misalign' | 'use-after-unmap';

const transferArb: fc.Arbitrary<Transfer> = fc.record({
  kind: fc.constantFrom('stream', 'stream', 'stream', 'coherent') as fc.Arbitrary<'stream' | 'coherent'>,
  dir: fc.constantFrom('TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL') as fc.Arbitrary<Dir>,
  pages: fc.integer({ min: 1, max: 3 }),
  rounds: fc.integer({ min: 0, max: 2 }),
  readFrom: fc.double({ min: 0, max: 0.9, noNaN: true }),
  readLen: fc.double({ min: 0.05, max: 1, noNaN: true }),
  seed: fc.integer({ min: 1, max: 1 << 20 }),
});

/** The ops of one transfer on buffer `b`, correct unless `mutation` says which step goes wrong. */
function transferOps(t: Transfer, b: string, mutation: Mutation): TraceOp[] {
  const size = t.pages * PAGE;
  const h = `h_${b}`;
  const ops: TraceOp[] = [];
  const readOff = Math.floor((t.readFrom * size) / 4) * 4;
  const readLen = Math.max(4, Math.min(size - readOff, Math.floor((t.readLen * size) / 4) * 4));
  if (t.kind === 'coherent') {
    ops.push({ op: 'alloc_coherent', dev: DEV, size, handle: h, buf: b } as TraceOp);
    ops.push({ op: 'cpu_write', buf: b, offset: 0, len: size, seed: t.seed } as TraceOp);
    ops.push({ op: 'dev_read', dev: DEV, handle: h, offset: 0, len: size } as TraceOp);
    ops.push({ op: 'dev_write', dev: DEV, handle: h, offset: 0, len: size, seed: t.seed + 1 } as TraceOp);
    ops.push({ op: 'cpu_read', buf: b, offset: readOff, len: readLen } as TraceOp);
    ops.push({ op: 'free_coherent', dev: DEV, handle: h, size } as TraceOp);
    return ops;
  }
  // A misaligned FROM_DEVICE buffer starts 8 bytes into its page, next to CPU data in the same line.
  const shift = mutation === 'misalign' ? 8 : 0;
  const mapLen = size - shift - (shift > 0 ? 56 : 0);
  let dir: Dir = t.dir;
  if (mutation === 'swap-dir') dir = 'FROM_DEVICE';
  ops.push({ op: 'alloc_pages', buf: b, size } as TraceOp);
  if (t.dir !== 'FROM_DEVICE') ops.push({ op: 'cpu_write', buf: b, offset: 0, len: size, seed: t.seed } as TraceOp);
  if (shift > 0) ops.push({ op: 'cpu_write', buf: b, offset: 0, len: shift, seed: t.seed + 7 } as TraceOp);
  ops.push({ op: 'map_single', dev: DEV, buf: b, offset: shift, size: mapLen, dir, handle: h } as TraceOp);
  ops.push({ op: 'mapping_error', dev: DEV, handle: h } as TraceOp);
  if (t.dir !== 'FROM_DEVICE') ops.push({ op: 'dev_read', dev: DEV, handle: h, offset: 0, len: mapLen } as TraceOp);
  // The driver updates its own field next to the buffer while the device owns it (fine when aligned apart).
  if (shift > 0) ops.push({ op: 'cpu_write', buf: b, offset: 0, len: shift, seed: t.seed + 8 } as TraceOp);
  if (t.dir !== 'TO_DEVICE') {
    ops.push({ op: 'dev_write', dev: DEV, handle: h, offset: 0, len: mapLen, seed: t.seed + 2 } as TraceOp);
    for (let r = 0; r < t.rounds; r++) {
      if (!(mutation === 'drop-sync' && r === 0)) ops.push({ op: 'sync_single_for_cpu', dev: DEV, handle: h, offset: 0, size: mapLen, dir } as TraceOp);
      ops.push({ op: 'cpu_read', buf: b, offset: shift, len: mapLen } as TraceOp);
      ops.push({ op: 'sync_single_for_device', dev: DEV, handle: h, offset: 0, size: mapLen, dir } as TraceOp);
      ops.push({ op: 'dev_write', dev: DEV, handle: h, offset: 0, len: mapLen, seed: t.seed + 3 + r } as TraceOp);
    }
  }
  const unmap = { op: 'unmap_single', dev: DEV, handle: h, size: mapLen, dir } as TraceOp;
  const dropUnmap = mutation === 'drop-sync' && t.rounds === 0;
  if (!dropUnmap) ops.push(unmap);
  if (mutation === 'use-after-unmap') ops.push({ op: 'dev_write', dev: DEV, handle: h, offset: 0, len: Math.min(mapLen, PAGE), seed: t.seed + 9 } as TraceOp);
  // (The misaligned buffer's reader starts at its first, shared line: that is where the damage is.)
  const from = shift > 0 ? 0 : Math.min(readOff, mapLen - 4);
  if (t.dir !== 'TO_DEVICE' || mutation === 'swap-dir') ops.push({ op: 'cpu_read', buf: b, offset: shift + from, len: Math.min(readLen, mapLen - from) } as TraceOp);
  if (dropUnmap) ops.push(unmap);
  ops.push({ op: 'free_pages', buf: b } as TraceOp);
  return ops;
}

interface Scenario {
  strategy: string;
  transfers: Transfer[];
  /** Which transfer's op goes next, consumed in order (merging keeps each transfer's own order). */
  order: number[];
  /** Speculative fills: after the op at this merged position, prefetch this buffer's first lines. */
  prefetches: { at: number; transfer: number; lines: number }[];
  seed: number;
}

function buildTrace(s: Scenario, mutate: { transfer: number; mutation: Mutation } | null): TraceOp[] {
  const per = s.transfers.map((t, i) => transferOps(t, `b${i}`, mutate !== null && mutate.transfer === i ? mutate.mutation : 'none'));
  const pos = per.map(() => 0);
  const live = per.map(() => false);
  const out: TraceOp[] = [{ op: 'device', name: DEV, coherent: false, dmaMask: 32, iommu: s.strategy.startsWith('iommu') } as TraceOp];
  const pending = [...s.prefetches].sort((a, b) => a.at - b.at);
  const emit = (i: number): void => {
    const op = per[i]![pos[i]!++]!;
    out.push(op);
    if (op.op === 'alloc_pages' || op.op === 'alloc_coherent') live[i] = true;
    if (op.op === 'free_pages' || op.op === 'free_coherent') live[i] = false;
    while (pending.length > 0 && pending[0]!.at <= out.length) {
      const p = pending.shift()!;
      const j = p.transfer % per.length;
      // A prefetch may hit any live buffer at any time: that is what ARMv7 speculation may do.
      if (live[j] && s.transfers[j]!.kind === 'stream') out.push({ op: 'prefetch', buf: `b${j}`, offset: 0, len: p.lines * 32 } as TraceOp);
    }
  };
  for (const pick of s.order) {
    const open = per.map((ops, i) => (pos[i]! < ops.length ? i : -1)).filter((i) => i >= 0);
    if (open.length === 0) break;
    emit(open[pick % open.length]!);
  }
  for (let i = 0; i < per.length; i++) while (pos[i]! < per[i]!.length) emit(i);
  return out;
}

const scenarioArb = (strategies: readonly string[]): fc.Arbitrary<Scenario> =>
  fc.record({
    strategy: fc.constantFrom(...strategies),
    transfers: fc.array(transferArb, { minLength: 1, maxLength: 3 }),
    order: fc.array(fc.nat(5), { maxLength: 60 }),
    prefetches: fc.array(fc.record({ at: fc.nat(60), transfer: fc.nat(2), lines: fc.integer({ min: 1, max: 8 }) }), { maxLength: 4 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  });

function replay(s: Scenario, ops: TraceOp[]) {
  const header = { dmasim: 'trace', version: 1, soc: 'exynos4412', seed: s.seed, strategy: s.strategy } as TraceHeader;
  return replayOps(header, ops, { speculation: true });
}

function kindsOf(s: Scenario, ops: TraceOp[]): string[] {
  return Object.keys(replay(s, ops).violationsByKind);
}

describe('checker properties (random drivers, replayed with speculation on)', () => {
  it('correct driver behaviour under any strategy and interleaving yields zero violations', () => {
    fc.assert(
      fc.property(scenarioArb(STRATEGIES), (s) => {
        const ops = buildTrace(s, null);
        const r = replay(s, ops);
        expect(r.violations.map((v) => `${v.kind}: ${v.message}`)).toEqual([]);
      }),
      { numRuns: 200, seed: 0x5eed },
    );
  });

  /** A scenario whose transfer `t` has the shape the mutation needs (the others stay random). */
  const mutated = (strategies: readonly string[], shape: Partial<Transfer>) =>
    fc.tuple(scenarioArb(strategies), transferArb).map(([s, t]) => {
      const transfers = [...s.transfers, { ...t, ...shape }];
      return { ...s, transfers, target: transfers.length - 1 };
    });

  it('dropping the sync_for_cpu (or the unmap) before a CPU read is reported as cpu-access-device-owned', () => {
    fc.assert(
      fc.property(mutated(['direct'], { kind: 'stream', dir: 'FROM_DEVICE' }), (s) => {
        expect(kindsOf(s, buildTrace(s, null))).toEqual([]);
        expect(kindsOf(s, buildTrace(s, { transfer: s.target, mutation: 'drop-sync' }))).toContain('cpu-access-device-owned');
      }),
      { numRuns: 20, seed: 0xd209 },
    );
  });

  it('mapping a CPU-written TO_DEVICE buffer as FROM_DEVICE loses the CPU data (lost-cpu-write or stale-device-read)', () => {
    fc.assert(
      fc.property(mutated(['direct'], { kind: 'stream', dir: 'TO_DEVICE' }), (s) => {
        const kinds = kindsOf(s, buildTrace(s, { transfer: s.target, mutation: 'swap-dir' }));
        expect(kinds.some((k) => k === 'lost-cpu-write' || k === 'stale-device-read')).toBe(true);
      }),
      { numRuns: 20, seed: 0x5a9 },
    );
  });

  // The edge line's write-back at unmap (clean+invalidate of a partial line) puts stale bytes over the device's:
  // reported at an eviction as lost-device-write, after the maintenance write-back as the CPU's stale read.
  it('a FROM_DEVICE buffer shifted off its line next to a CPU-written field loses device data', () => {
    fc.assert(
      fc.property(mutated(['direct'], { kind: 'stream', dir: 'FROM_DEVICE', rounds: 0 }), (s) => {
        expect(kindsOf(s, buildTrace(s, null))).toEqual([]);
        const kinds = kindsOf(s, buildTrace(s, { transfer: s.target, mutation: 'misalign' }));
        expect(kinds.some((k) => k === 'lost-device-write' || k === 'stale-cpu-read')).toBe(true);
      }),
      { numRuns: 20, seed: 0xa11 },
    );
  });

  it('a device using its handle after unmap faults under iommu-strict (iommu-fault)', () => {
    fc.assert(
      fc.property(mutated(['iommu-strict'], { kind: 'stream' }), (s) => {
        expect(kindsOf(s, buildTrace(s, { transfer: s.target, mutation: 'use-after-unmap' }))).toContain('iommu-fault');
      }),
      { numRuns: 20, seed: 0x10 },
    );
  });
});
