import { describe, it, expect } from 'vitest';
import { benchChecker } from './checker-bench.ts';

describe('benchChecker', () => {
  it('replays the small-mapping trace with the checker on and off and reports the ratio', () => {
    const r = benchChecker({ pairs: 100, rounds: 1 });
    expect(r.ops).toBe(502);
    expect(r.msOn).toBeGreaterThanOrEqual(0);
    expect(r.msOff).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(r.slowdown) || r.msOff === 0).toBe(true);
  });
});
