import { describe, it, expect } from 'vitest';
import { createSoc } from './soc.ts';
import { getPreset, presetNames } from './presets/index.ts';

describe('presets', () => {
  it('lists the presets and names them in errors', () => {
    expect(presetNames()).toEqual(['exynos4412', 'exynos4210', 'arm64-64b']);
    expect(() => getPreset('nope')).toThrow(/unknown SoC preset 'nope', expected one of: exynos4412, exynos4210, arm64-64b/);
  });

  it('describe the machines of REFERENCE §1', () => {
    const p = getPreset('exynos4412');
    expect([p.cpu.cores, p.cpu.hz, p.l1d.sizeBytes, p.l1d.ways, p.l1d.lineBytes]).toEqual([4, 1_400_000_000, 32768, 4, 32]);
    expect([p.l2.sizeBytes, p.l2.ways, p.l2.revision, p.l2.errata]).toEqual([1 << 20, 16, 'r3p2', { e588369: false, e727915: false }]);
    expect(p.l2.dataLatency).toEqual([3, 2, 1]);
    const q = getPreset('exynos4210');
    expect([q.cpu.cores, q.cpu.hz, q.l2.revision, q.l2.errata.e727915, q.l2.dataLatency]).toEqual([2, 1_200_000_000, 'r3p0', true, [2, 2, 1]]);
    expect(p.mmio.pdma0!.base).toBe(0x1268_0000);
    const a = getPreset('arm64-64b');
    expect([a.l1d.lineBytes, a.l2.lineBytes, a.kmallocMinAlign]).toEqual([64, 64, 8]);
  });
});

describe('createSoc', () => {
  it('assembles a machine whose CPU traffic reaches DRAM through the interconnect', () => {
    const soc = createSoc('exynos4210', { seed: 3 });
    expect(soc.cores).toHaveLength(2);
    expect(soc.memory.l1d).toHaveLength(2);
    const buf = new Uint8Array(4);
    const miss = soc.memory.cpuRead(0, 0x4000_0000, buf, 0, 4);
    const hit = soc.memory.cpuRead(0, 0x4000_0000, buf, 0, 4);
    expect(hit).toBe(4);
    expect(miss).toBeGreaterThan(100);
    expect(soc.interconnect.report().masters.some((m) => m.name === 'cpu' && m.atomicAccesses > 0)).toBe(true);
    expect(soc.physical).toBeDefined();
    expect(soc.speculation.active).toBe(false);
  });

  it('takes a Preset object and a speculation override', () => {
    const soc = createSoc(getPreset('arm64-64b'), { seed: 1, speculation: true });
    expect(soc.speculation.active).toBe(true);
    expect(soc.memory.lineBytes).toBe(64);
  });
});
