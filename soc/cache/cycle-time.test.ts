import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ClockDomain } from '../../emulator/kernel/clock.ts';
import { CycleTime } from './cycle-time.ts';

describe('CycleTime', () => {
  it('gives exactly the clock’s cyclesToPs for any cycle count, near the fast path’s limit included', () => {
    for (const hz of [1_400_000_000, 1_200_000_000, 1_800_000_000, 999_999_937, 1_000_000_000_000, 3]) {
      const clock = new ClockDomain('cpu', hz);
      const ct = new CycleTime(clock);
      const limit = Math.floor((Number.MAX_SAFE_INTEGER - clock.psDen) / clock.psNum);
      const edges = [0, 1, 2, 3, 7, 1e6 + 3, limit - 1, limit, limit + 1].filter((c) => c >= 0 && c * clock.psNum <= Number.MAX_SAFE_INTEGER * 4);
      for (const c of edges) {
        let want: number | string;
        try {
          want = clock.cyclesToPs(c);
        } catch (e) {
          want = (e as Error).name;
        }
        let got: number | string;
        try {
          got = ct.toPs(c);
        } catch (e) {
          got = (e as Error).name;
        }
        expect(got).toBe(want);
      }
      fc.assert(fc.property(fc.integer({ min: 0, max: Math.min(limit, 2 ** 40) }), (c) => ct.toPs(c) === clock.cyclesToPs(c)), { numRuns: 2000 });
    }
  });

  it('leaves bad cycle counts to the clock, which rejects them', () => {
    const ct = new CycleTime(new ClockDomain('cpu', 1_400_000_000));
    expect(() => ct.toPs(1.5)).toThrow(/non-negative integer/);
    expect(() => ct.toPs(-3)).toThrow(/non-negative integer/);
  });
});
