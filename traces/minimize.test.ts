import { describe, it, expect } from 'vitest';
import { minimizeTrace, MinimizeError } from './minimize.ts';
import { replayOps } from './replay.ts';
import type { TraceHeader, TraceOp } from './schema.ts';

const header: TraceHeader = { dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1, strategy: 'direct' } as TraceHeader;
const DEV = '13800000.serial-dma';

/** A correct TX round trip on its own buffer: noise the minimizer must drop. */
function noise(k: number): TraceOp[] {
  const buf = `tx${k}`;
  return [
    { op: 'alloc_pages', buf, size: 4096 },
    { op: 'cpu_write', buf, offset: 0, len: 4096, seed: k },
    { op: 'map_single', dev: DEV, buf, offset: 0, size: 4096, dir: 'TO_DEVICE', handle: `h${k}` },
    { op: 'mapping_error', dev: DEV, handle: `h${k}` },
    { op: 'dev_read', dev: DEV, handle: `h${k}`, offset: 0, len: 4096 },
    { op: 'unmap_single', dev: DEV, handle: `h${k}`, size: 4096, dir: 'TO_DEVICE' },
    { op: 'delay', ns: 500 },
  ] as TraceOp[];
}

/** dirty-eviction padded with unrelated correct traffic. */
function paddedBuggy(): TraceOp[] {
  return [
    { op: 'device', name: DEV, coherent: false, dmaMask: 32, iommu: false },
    ...noise(1),
    { op: 'alloc_pages', buf: 'rx', size: 8192 },
    ...noise(2),
    { op: 'cpu_write', buf: 'rx', offset: 0, len: 8192, byte: 1 },
    ...noise(3),
    { op: 'map_single', dev: DEV, buf: 'rx', offset: 0, size: 8192, dir: 'FROM_DEVICE', attrs: ['SKIP_CPU_SYNC'], handle: 'r' },
    { op: 'mapping_error', dev: DEV, handle: 'r' },
    ...noise(4),
    { op: 'dev_write', dev: DEV, handle: 'r', offset: 0, len: 8192, seed: 9 },
    ...noise(5),
    { op: 'evict', buf: 'rx', offset: 0, len: 8192 },
    { op: 'unmap_single', dev: DEV, handle: 'r', size: 8192, dir: 'FROM_DEVICE' },
    { op: 'cpu_read', buf: 'rx', offset: 0, len: 8192 },
  ] as TraceOp[];
}

describe('minimizeTrace', () => {
  it('shrinks a padded buggy trace to a handful of ops with the same kind and smaller sizes', () => {
    const ops = paddedBuggy();
    expect(replayOps(header, ops).violationsByKind['lost-device-write']).toBeGreaterThan(0);
    const r = minimizeTrace(header, ops, { kind: 'lost-device-write' });
    expect(r.kind).toBe('lost-device-write');
    expect(r.before).toBe(ops.length);
    expect(r.after).toBeLessThanOrEqual(7);
    expect(r.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['device', 'alloc_pages', 'cpu_write', 'map_single', 'dev_write']));
    // The result is itself a valid trace that shows the kind.
    expect(replayOps(header, r.ops).violationsByKind['lost-device-write']).toBeGreaterThan(0);
    // Sizes were halved: the device write shrank from 8192 bytes.
    const w = r.ops.find((o) => o.op === 'dev_write') as { len: number };
    expect(w.len).toBeLessThan(8192);
  });

  it('defaults to the kind of the first violation and is deterministic', () => {
    const a = minimizeTrace(header, paddedBuggy());
    const b = minimizeTrace(header, paddedBuggy());
    expect(a.kind).toBe(replayOps(header, paddedBuggy()).violations[0]!.kind);
    expect(a).toEqual(b);
  });

  it('refuses a trace without the violation', () => {
    expect(() => minimizeTrace(header, noise(1).slice(0, 0).concat([{ op: 'device', name: DEV, coherent: false, dmaMask: 32, iommu: false } as TraceOp, ...noise(1)]))).toThrow(MinimizeError);
    expect(() => minimizeTrace(header, paddedBuggy(), { kind: 'stale-iotlb' })).toThrow(/does not show/);
  });
});
