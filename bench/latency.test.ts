import { describe, it, expect } from 'vitest';
import { runLatencyBench } from './latency.ts';

// Published Exynos 4210 figures at 1.2 GHz (REFERENCE §1, 7-cpu.com): the simulated chase must land within ±15%.
const TARGETS: [number, number][] = [
  [4096, 4],
  [32768, 4],
  [65536, 23],
  [262144, 30],
  [1048576, 37],
  [16 * 1048576, 37 + 110 * 1.2],
];

describe('latency calibration', () => {
  it('exynos4210 load-to-use latency matches the published figures within 15%', () => {
    const r = runLatencyBench('exynos4210');
    expect(r.points.map((p) => p.bytes)).toEqual(Array.from({ length: 13 }, (_, i) => 4096 * 2 ** i));
    for (const [bytes, target] of TARGETS) {
      const got = r.points.find((p) => p.bytes === bytes)!.cycles;
      expect(Math.abs(got - target) / target, `${bytes} B: ${got} cycles vs ${target}`).toBeLessThanOrEqual(0.15);
    }
  });

  it('is deterministic for a seed', () => {
    const a = runLatencyBench('exynos4412', { maxBytes: 128 * 1024, seed: 4 });
    const b = runLatencyBench('exynos4412', { maxBytes: 128 * 1024, seed: 4 });
    expect(a).toEqual(b);
  });
});
