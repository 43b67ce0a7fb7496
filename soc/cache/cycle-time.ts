import type { ClockDomain } from '../../emulator/kernel/clock.ts';
import type { Ps } from '../../emulator/kernel/time.ts';

/**
 * ClockDomain.cyclesToPs for the per-line timestamps of the cache models, with an exact shortcut:
 * floor(cycles * psNum / psDen) straight from floating point whenever cycles * psNum stays at most
 * 2^53 - psDen. Then the product is an exact integer t, and t / psDen, if not an integer k, lies at least
 * 1/psDen below k + 1, more than half an ulp of k + 1 (as (k + 1) * psDen <= t + psDen < 2^53), so it
 * cannot round up to it: Math.floor gives the exact quotient. Anything else goes to the clock itself
 * (which also raises its errors for bad or overflowing cycle counts).
 */
export class CycleTime {
  private readonly num: number;
  private readonly den: number;
  private readonly maxFast: number;

  constructor(readonly clock: ClockDomain) {
    this.num = clock.psNum;
    this.den = clock.psDen;
    this.maxFast = Math.floor((Number.MAX_SAFE_INTEGER - clock.psDen) / clock.psNum);
  }

  /** Time of cycle edge `cycles` counted from 0, exactly as clock.cyclesToPs. */
  toPs(cycles: number): Ps {
    // cycles > 0: zero (and -0, which the clock turns into +0) take the clock's own path.
    if (cycles > 0 && cycles <= this.maxFast && Math.floor(cycles) === cycles) return Math.floor((cycles * this.num) / this.den);
    return this.clock.cyclesToPs(cycles);
  }
}
