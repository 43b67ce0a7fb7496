import { describe, it, expect } from 'vitest';
import { formatStrategyMatrix, notApplicableReason, rankWorkload, runCell, runStrategyMatrix, strategyCellTasks, workloadById } from './index.ts';
import { renderStrategyReport } from '../report/index.ts';
import type { StrategyCell } from '../report/index.ts';

// A tiny matrix: two cheap workloads × strategies that exercise every code path (streaming, copy-based,
// bounce, IOMMU, io-coherent, not applicable).
const TINY = { soc: 'exynos4412', seed: 7, quick: true, workloads: ['nic', 'block'], strategies: ['coherent', 'direct', 'dmabounce', 'swiotlb', 'iommu-lazy', 'acp', 'ace-lite'] };

describe('strategy matrix', () => {
  it('gives byte-identical JSON for the same seed, and the same with jobs 1 and jobs 2', async () => {
    const a = await runStrategyMatrix({ ...TINY, jobs: 1 });
    const b = await runStrategyMatrix({ ...TINY, jobs: 1 });
    const c = await runStrategyMatrix({ ...TINY, jobs: 2 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).toBe(JSON.stringify(a));
    expect(a.cells).toHaveLength(14);
    const other = await runStrategyMatrix({ ...TINY, seed: 8, jobs: 1 });
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(a)); // the seed reaches the workloads
  }, 120_000);

  it('measures what each strategy does: bounces, maintenance, IOTLB, nothing for io-coherent', async () => {
    const m = await runStrategyMatrix({ ...TINY, jobs: 1 });
    const cell = (w: string, s: string) => m.cells.find((c) => c.workload === workloadById(w).label && c.strategy === s)!;
    for (const w of ['nic', 'block']) {
      const direct = cell(w, 'direct').metrics!;
      expect(direct.bytesBounced).toBe(0);
      expect(direct.bytesInvalidated).toBeGreaterThan(0);
      expect(direct.iotlbHitRate).toBeNull();
      expect(cell(w, 'swiotlb').metrics!.bytesBounced).toBeGreaterThan(0);
      expect(cell(w, 'dmabounce').metrics!.bytesBounced).toBeGreaterThan(0); // the narrow window makes it bounce
      const iommu = cell(w, 'iommu-lazy').metrics!;
      expect(iommu.iotlbHitRate).toBeGreaterThan(0);
      expect(iommu.iotlbHitRate).toBeLessThan(1);
      const acp = cell(w, 'acp').metrics!;
      expect(acp.bytesCleaned + acp.bytesInvalidated).toBe(0);
      expect(acp.cpuCyclesPerByte).toBeLessThan(direct.cpuCyclesPerByte);
      expect(cell(w, 'ace-lite')).toMatchObject({ applicable: false, reason: expect.stringMatching(/no ACE-Lite port/) });
      for (const c of m.cells.filter((x) => x.applicable)) {
        expect(c.metrics!.violations).toBe(0);
        expect(c.metrics!.deadlineMisses).toBe(0);
        expect(c.metrics!.bytesMoved).toBeGreaterThan(0);
        expect(c.metrics!.dramBytes).toBeGreaterThan(0);
        expect(c.metrics!.cpuCyclesPerByte).toBeCloseTo(c.metrics!.cpuCyclesInDmaApi / c.metrics!.bytesMoved, 12);
      }
    }
    expect(cell('block', 'coherent')).toMatchObject({ applicable: false, reason: expect.stringMatching(/page-cache pages/) });
    expect(cell('nic', 'coherent').applicable).toBe(true);
    // Ranking: applicable strategies only, lowest cycles/byte first.
    const nic = m.ranking[workloadById('nic').label]!;
    expect(nic).not.toContain('ace-lite');
    expect(nic[0]).toBe('acp');
    const text = formatStrategyMatrix(m);
    expect(text).toContain('== NIC RX/TX 64-1500 B');
    expect(text).toMatch(/ranking: acp > /);
    expect(text).toMatch(/ace-lite\s+n\/a: exynos4412 has no ACE-Lite port/);
    const html = renderStrategyReport(m);
    expect(html).toContain('<html');
  }, 120_000);

  it('runs a camera cell and an audio capture cell through the scenario without misses', () => {
    const cam = runCell({ workload: 'camera-720p', strategy: 'iommu-strict', soc: 'exynos4412', seed: 3, quick: true });
    expect(cam.metrics!.deadlineMisses).toBe(0);
    expect(cam.metrics!.violations).toBe(0);
    expect(cam.metrics!.bytesMoved).toBeGreaterThanOrEqual(1280 * 720 * 2);
    expect(cam.metrics!.iotlbHitRate).toBeGreaterThan(0);
    const cap = runCell({ workload: 'audio-capture', strategy: 'direct', soc: 'exynos4412', seed: 3, quick: true });
    expect(cap.metrics!.bytesInvalidated).toBeGreaterThan(0);
    expect(cap.metrics!.bytesCleaned).toBe(0); // capture only invalidates
    expect(cap.metrics!.deadlineMisses).toBe(0);
  }, 60_000);
});

describe('applicability', () => {
  it('marks dmabounce n/a for full-reach devices and ace-lite by the preset', () => {
    expect(notApplicableReason(workloadById('camera-1080p'), 'dmabounce', 'exynos4412')).toMatch(/reaches all of DRAM/);
    expect(notApplicableReason(workloadById('nic'), 'dmabounce', 'exynos4412')).toBeNull();
    expect(notApplicableReason(workloadById('nic'), 'ace-lite', 'arm64-64b')).toBeNull();
    expect(notApplicableReason(workloadById('nic'), 'acp', 'exynos4412')).toBeNull();
  });

  it('rejects unknown workloads, strategies and presets with a clear message', () => {
    expect(() => strategyCellTasks({ workloads: ['modem'] })).toThrow(/unknown workload "modem"/);
    expect(() => strategyCellTasks({ strategies: ['magic'] })).toThrow(/unknown strategy "magic"/);
    expect(() => strategyCellTasks({ soc: 'nope' })).toThrow();
  });
});

describe('ranking', () => {
  const mk = (strategy: string, cpb: number, violations = 0, misses = 0): StrategyCell => ({
    workload: 'w',
    strategy,
    applicable: true,
    metrics: { cpuCyclesPerByte: cpb, bytesCleaned: 0, bytesInvalidated: 0, bytesBounced: 0, iotlbHitRate: null, dramBytes: 0, deadlineMisses: misses, violations, cpuCyclesInDmaApi: 0, bytesMoved: 1 },
  });
  it('puts clean cells first by cycles/byte and disqualifies violations and misses', () => {
    const cells = [mk('a', 5), mk('b', 1, 1), mk('c', 2), mk('d', 0.5, 0, 3), { workload: 'w', strategy: 'e', applicable: false, reason: 'x' }];
    expect(rankWorkload(cells)).toEqual(['c', 'a', 'd', 'b']);
  });
});
