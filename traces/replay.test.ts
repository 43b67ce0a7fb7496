import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replayOps } from './replay.ts';
import { parseHeader, parseOp } from './schema.ts';
import type { TraceHeader, TraceOp } from './schema.ts';

function load(name: string): { header: TraceHeader; ops: TraceOp[] } {
  const text = readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
  const lines = text.trim().split('\n');
  const header = parseHeader(JSON.parse(lines[0]!), `${name}:1`);
  return { header, ops: lines.slice(1).map((l, i) => parseOp(JSON.parse(l), `${name}:${i + 2}`)) };
}

const STRATEGIES = ['direct', 'coherent', 'wc', 'dmabounce', 'swiotlb', 'iommu-strict', 'iommu-lazy', 'acp', 'ace-lite'];

describe('replay of the shared examples', () => {
  it.each(STRATEGIES)('tx-rx-correct has no violation under %s', (strategy) => {
    const { header, ops } = load('tx-rx-correct.jsonl');
    const r = replayOps(header, ops, { strategy });
    expect(r.violations).toEqual([]);
    expect(r.ops).toBe(ops.length);
    expect(r.simulatedNs).toBeGreaterThan(0);
  });

  it('tx-missing-clean shows the ownership breach and the stale device read on a non-coherent device', () => {
    const { header, ops } = load('tx-missing-clean.jsonl');
    const r = replayOps(header, ops, {});
    const kinds = r.violations.map((v) => v.kind);
    expect(kinds).toContain('cpu-access-device-owned');
    expect(kinds).toContain('stale-device-read');
    const stale = r.violations.find((v) => v.kind === 'stale-device-read')!;
    expect(stale.op).toBe(ops.findIndex((o) => o.op === 'dev_read'));
    expect(stale.hint).toMatch(/dma_sync_single_for_device|dma_map_single/);
  });

  it.each(['acp', 'ace-lite'])('tx-missing-clean under %s: data is right, the ownership rule is still broken', (strategy) => {
    const { header, ops } = load('tx-missing-clean.jsonl');
    const kinds = replayOps(header, ops, { strategy }).violations.map((v) => v.kind);
    expect(kinds).toContain('cpu-access-device-owned');
    expect(kinds).not.toContain('stale-device-read');
  });

  it('is deterministic: same trace and seed give identical results', () => {
    const { header, ops } = load('tx-rx-correct.jsonl');
    const a = replayOps(header, ops, { costs: true });
    const b = replayOps(header, ops, { costs: true });
    expect({ ...a, hostMs: 0 }).toEqual({ ...b, hostMs: 0 });
    expect(a.costs!.length).toBe(ops.length);
  });

  it('a device sent to DMA_MAPPING_ERROR gets a bus error and the replay carries on', () => {
    const header: TraceHeader = { dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1, strategy: 'dmabounce' };
    const ops: TraceOp[] = [
      { op: 'device', name: 'ohci', coherent: false, dmaMask: 30, iommu: false },
      { op: 'alloc_pages', buf: 'b', size: 4096 },
      { op: 'map_single', dev: 'ohci', buf: 'b', offset: 0, size: 4096, dir: 'FROM_DEVICE', handle: 'h' },
      { op: 'dev_write', dev: 'ohci', handle: 'h', offset: 0, len: 64, byte: 1 },
      { op: 'unmap_single', dev: 'ohci', handle: 'h', size: 4096, dir: 'FROM_DEVICE' },
    ];
    const r = replayOps(header, ops);
    expect(r.ops).toBe(ops.length);
    expect(r.violations.map((v) => v.kind)).toEqual(['unmap-unknown']);
    expect(r.violations[0]!.message).toMatch(/tries to free an invalid DMA memory address/);
    expect(r.dmesg.some((l) => /bus error: ohci write of 64 bytes/.test(l))).toBe(true);
  });
});
