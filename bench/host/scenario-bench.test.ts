import { describe, it, expect } from 'vitest';
import { benchScenario } from './scenario-bench.ts';

describe('benchScenario', () => {
  it('times the default scenario after its warm-up runs and reports the factor of the median run', () => {
    const r = benchScenario({ seconds: 0.04, runs: 1, warmups: 1, cold: false });
    // From sources there is no bundle to run in a child process: the runs are timed here.
    expect(r.isolated).toBe(0);
    expect(r.runs).toBe(1);
    expect(r.processes).toBe(1);
    expect(r.warmups).toBe(1);
    expect(r.seed).toBe(1);
    expect(r.hostMs).toBeGreaterThan(0);
    expect(r.realtimeFactor).toBeCloseTo(0.04 / (r.hostMs / 1000), 9);
    expect(Number.isNaN(r.coldRealtimeFactor)).toBe(true);
    expect(r.periods).toBeGreaterThan(0);
    // In this process the code is compiled as it was: no deep-JIT claim, one steady figure.
    expect(r.deepJit).toBe(0);
    expect(r.realtimeFactorDefaultJit).toBe(r.realtimeFactor);
  });
});
