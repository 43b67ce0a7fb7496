import { describe, it, expect } from 'vitest';
import { parseMapBenchArgs } from './options.ts';
import { runMapBench } from './run.ts';
import type { MapBenchResult } from './run.ts';
import { formatMapBench, formatMapBenchNote, formatMapBenchReport, mapBenchJson } from './format.ts';

const run = (opts: Record<string, unknown>): MapBenchResult => runMapBench(parseMapBenchArgs({ iterations: 100, ...opts }));

// The tool's printf formats with %d -> -?\d+, %s -> the direction names, %.1f -> \d+\.\d.
const LINE1 = /^dma mapping benchmark: threads:-?\d+ seconds:-?\d+ node:-?\d+ dir:(BIDIRECTIONAL|TO_DEVICE|FROM_DEVICE) granule: -?\d+$/;
const LINE2 = /^average map latency\(us\):\d+\.\d standard deviation:\d+\.\d$/;
const LINE3 = /^average unmap latency\(us\):\d+\.\d standard deviation:\d+\.\d$/;

describe('formatMapBench', () => {
  it("prints exactly the kernel tool's three lines", () => {
    const r = run({ t: 2, s: 5, n: 0, d: 1, g: 2 });
    const lines = formatMapBench(r).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(LINE1);
    expect(lines[1]).toMatch(LINE2);
    expect(lines[2]).toMatch(LINE3);
    expect(lines[0]).toBe('dma mapping benchmark: threads:2 seconds:5 node:0 dir:TO_DEVICE granule: 2');
    expect(lines[1]).toBe(`average map latency(us):${(r.map.mean100ns / 10).toFixed(1)} standard deviation:${(r.map.stddev100ns / 10).toFixed(1)}`);
  });

  it('says in a note line before them that the iteration cap ended the run', () => {
    const r = run({ iterations: 10 });
    expect(r.capped).toBe(true);
    expect(formatMapBenchNote(r)).toMatch(/capped at 10 loops\/thread/);
    const lines = formatMapBenchReport(r).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^# dmasim exynos4412 strategy:direct/);
    expect(lines.slice(1).join('\n')).toBe(formatMapBench(r));
  });

  it('prints each direction by the name the tool uses', () => {
    expect(formatMapBench(run({ d: 0, iterations: 2 }))).toContain('dir:BIDIRECTIONAL');
    expect(formatMapBench(run({ d: 2, iterations: 2 }))).toContain('dir:FROM_DEVICE');
  });

  it('gives the JSON document with the options and the figures', () => {
    const r = run({ t: 2, iterations: 20, strategy: 'iommu-lazy' });
    const j = mapBenchJson(r);
    expect(j).toMatchObject({ soc: 'exynos4412', strategy: 'iommu-lazy', seed: 1, threads: 2, seconds: 20, node: -1, dir: 'BIDIRECTIONAL', granule: 1, bits: 32, delayNs: 0, iterations: 40 });
    expect(j.map.meanUs).toBe(r.map.meanUs);
    expect(j.unmap.stddevUs).toBe(r.unmap.stddevUs);
  });
});

describe('runMapBench', () => {
  it('gives identical results for the same seed', () => {
    const a = run({ t: 6, strategy: 'iommu-strict', iterations: 50 });
    const b = run({ t: 6, strategy: 'iommu-strict', iterations: 50 });
    expect(JSON.stringify(mapBenchJson(a))).toBe(JSON.stringify(mapBenchJson(b)));
    expect(a.map.exactMeanNs).toBe(b.map.exactMeanNs);
    expect(a.unmap.exactMeanNs).toBe(b.unmap.exactMeanNs);
  });

  it('fills the buffer before every map except FROM_DEVICE', () => {
    const to = run({ d: 1, iterations: 30 });
    const from = run({ d: 2, iterations: 30 });
    expect(to.filledBytes).toBe(30 * 4096);
    expect(from.filledBytes).toBe(0);
    // The fill leaves dirty lines that a TO_DEVICE map must clean; FROM_DEVICE only invalidates clean lines.
    expect(to.map.exactMeanNs).toBeGreaterThan(from.map.exactMeanNs);
  });

  it('does not count the fill or the transfer delay in the latencies', () => {
    const plain = run({ d: 1, iterations: 30 });
    const delayed = run({ d: 1, iterations: 30, x: 50_000 });
    expect(delayed.map.exactMeanNs).toBeCloseTo(plain.map.exactMeanNs, 0);
    expect(delayed.simulatedSeconds).toBeGreaterThan(plain.simulatedSeconds + 30 * 50e-6 * 0.99);
  });

  it('stops at the simulated seconds when they come before the iteration cap', () => {
    const r = run({ s: 1, x: 10_000_000, iterations: 1000 });
    expect(r.capped).toBe(false);
    expect(r.loops).toBeGreaterThan(90);
    expect(r.loops).toBeLessThanOrEqual(100);
    expect(r.simulatedSeconds).toBeGreaterThanOrEqual(1);
    expect(formatMapBenchNote(r)).toMatch(/ran 1 simulated s/);
  });

  it('runs every thread its share, threads beyond the cores taking turns on them', () => {
    const r = run({ t: 9, iterations: 20 });
    expect(r.loopsPerThread).toEqual(new Array(9).fill(20));
    expect(r.loops).toBe(180);
    // exynos4412 has 4 cores: 8 threads take about twice as long as 4, since two threads share each core.
    const four = run({ t: 4, iterations: 20 });
    const eight = run({ t: 8, iterations: 20 });
    expect(eight.simulatedSeconds).toBeGreaterThan(1.8 * four.simulatedSeconds);
  });

  it('stops a thread whose buffer the DMA mask cannot reach, unless an IOMMU remaps it', () => {
    // exynos4412 DRAM starts at 0x40000000: a 30-bit mask reaches none of it.
    const direct = run({ b: 30, iterations: 5 });
    expect(direct.mapFailures).toBe(1);
    expect(direct.loops).toBe(0);
    expect(direct.dmesg.join('\n')).toMatch(/dma_map_single failed/);
    const iommu = run({ b: 30, iterations: 5, strategy: 'iommu-strict' });
    expect(iommu.mapFailures).toBe(0);
    expect(iommu.loops).toBe(5);
  });

  it('fails a 1 MiB swiotlb mapping as the kernel does (larger than a 256 KiB bounce segment)', () => {
    const r = run({ g: 256, strategy: 'swiotlb', iterations: 2 });
    expect(r.mapFailures).toBe(1);
    expect(r.dmesg.join('\n')).toMatch(/swiotlb buffer is full/);
  });
});

describe('strategies ordered as the hardware says (4 KiB granule, exynos4412)', () => {
  const byStrategy = new Map<string, MapBenchResult>();
  const get = (strategy: string, extra: Record<string, unknown> = {}): MapBenchResult => {
    const key = `${strategy}/${JSON.stringify(extra)}`;
    let r = byStrategy.get(key);
    if (r === undefined) {
      r = run({ strategy, iterations: 200, ...extra });
      byStrategy.set(key, r);
    }
    return r;
  };

  it('an io-coherent master (acp, or a dma-coherent device) is the cheapest: no maintenance', () => {
    const direct = get('direct');
    for (const r of [get('acp'), get('ace-lite'), get('coherent', { coherency: 'acp' })]) {
      expect(r.map.exactMeanNs).toBeLessThan(direct.map.exactMeanNs);
      expect(r.unmap.exactMeanNs).toBeLessThan(direct.unmap.exactMeanNs);
      expect(r.map.meanUs).toBeLessThanOrEqual(direct.map.meanUs);
    }
  });

  it('direct pays cache maintenance at map and unmap', () => {
    const direct = get('direct');
    expect(direct.map.meanUs).toBeGreaterThan(get('acp').map.meanUs);
    expect(direct.unmap.meanUs).toBeGreaterThan(get('acp').unmap.meanUs);
  });

  it('swiotlb pays bounce copies on top of maintenance', () => {
    expect(get('swiotlb').map.meanUs).toBeGreaterThanOrEqual(get('direct').map.meanUs);
    expect(get('swiotlb').map.exactMeanNs).toBeGreaterThan(get('direct').map.exactMeanNs);
    expect(get('swiotlb').unmap.exactMeanNs).toBeGreaterThan(get('direct').unmap.exactMeanNs);
  });

  it('an IOMMU adds page-table work to the maintenance at map', () => {
    expect(get('iommu-strict').map.exactMeanNs).toBeGreaterThan(get('direct').map.exactMeanNs);
    expect(get('iommu-lazy').map.exactMeanNs).toBeGreaterThan(get('direct').map.exactMeanNs);
  });
});

describe('strict vs lazy IOTLB invalidation (1 MiB granule, exynos4412)', () => {
  it('strict unmap waits for the invalidation, lazy unmap only queues it', () => {
    const strict = run({ g: 256, strategy: 'iommu-strict', iterations: 6 });
    const lazy = run({ g: 256, strategy: 'iommu-lazy', iterations: 6 });
    expect(strict.loops).toBe(6);
    expect(lazy.loops).toBe(6);
    expect(strict.unmap.meanUs).toBeGreaterThan(lazy.unmap.meanUs);
  });
});
