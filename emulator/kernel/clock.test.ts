import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ClockDomain, ClockError } from './clock.ts';
import { MAX_TIME_PS, TimeOverflowError } from './time.ts';

const HZ = [1_200_000_000, 1_400_000_000, 200_000_000, 400_000_000, 48_000, 533_000_000, 999_999_937];

describe('ClockDomain', () => {
  it('converts 1.2 GHz cycles exactly (3 cycles = 2500 ps)', () => {
    const cpu = new ClockDomain('cpu', 1_200_000_000);
    expect(cpu.cyclesToPs(1)).toBe(833);
    expect(cpu.cyclesToPs(2)).toBe(1666);
    expect(cpu.cyclesToPs(3)).toBe(2500);
    expect(cpu.cyclesToPs(1_200_000_000)).toBe(1e12);
    expect(cpu.psToCycles(2499)).toBe(2);
    expect(cpu.psToCycles(2500)).toBe(3);
    expect(cpu.nextEdge(834)).toBe(1666);
    expect(cpu.nextEdge(1666)).toBe(1666);
  });

  it('converts other common rates exactly', () => {
    expect(new ClockDomain('bus', 200_000_000).cyclesToPs(7)).toBe(35_000);
    expect(new ClockDomain('ddr', 400_000_000).cyclesToPs(3)).toBe(7_500);
    expect(new ClockDomain('a9', 1_400_000_000).cyclesToPs(7)).toBe(5_000);
    expect(new ClockDomain('a9', 1_400_000_000).cyclesToPs(1)).toBe(714);
    expect(new ClockDomain('i2s', 48_000).cyclesToPs(3)).toBe(62_500_000);
    expect(new ClockDomain('i2s', 48_000).cyclesToPs(1)).toBe(20_833_333);
  });

  it('matches floor(c * 10^12 / hz) computed in BigInt, including counts near 2^53/1000', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HZ), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (hz, raw) => {
        const clk = new ClockDomain('c', hz);
        const maxCycles = Number((BigInt(MAX_TIME_PS) * BigInt(hz)) / 10n ** 12n);
        const c = raw % (maxCycles + 1);
        const want = Number((BigInt(c) * 10n ** 12n) / BigInt(hz));
        expect(clk.cyclesToPs(c)).toBe(want);
        expect(clk.psToCycles(want)).toBe(c);
        // Edges are at least 1 ps apart, so just before edge c only c - 1 cycles are complete.
        if (c > 0) expect(clk.psToCycles(want - 1)).toBe(c - 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('psToCycles counts whole cycles completed and nextEdge is the first edge at or after a time', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HZ), fc.integer({ min: 0, max: 2 ** 50 }), (hz, ps) => {
        const clk = new ClockDomain('c', hz);
        const k = clk.psToCycles(ps);
        expect(clk.cyclesToPs(k)).toBeLessThanOrEqual(ps);
        expect(clk.cyclesToPs(k + 1)).toBeGreaterThan(ps);
        const e = clk.nextEdge(ps);
        expect(e).toBeGreaterThanOrEqual(ps);
        expect(clk.cyclesToPs(clk.psToCycles(e))).toBe(e);
        if (e > ps) expect(clk.psToCycles(e) - 1).toBe(k);
      }),
      { numRuns: 2000 },
    );
  });

  it('exact at the largest cycle count below the limit (1.2 GHz)', () => {
    const cpu = new ClockDomain('cpu', 1_200_000_000);
    const c = Math.floor(2 ** 53 / 1000) * 1;
    expect(cpu.cyclesToPs(c)).toBe(Number((BigInt(c) * 10n ** 12n) / 1_200_000_000n));
    expect(cpu.psToCycles(cpu.cyclesToPs(c))).toBe(c);
  });

  it('throws past 2^53 ps and for bad input', () => {
    const cpu = new ClockDomain('cpu', 1_200_000_000);
    expect(() => cpu.cyclesToPs(2 ** 52)).toThrow(TimeOverflowError);
    expect(() => cpu.cyclesToPs(-1)).toThrow(ClockError);
    expect(() => cpu.cyclesToPs(1.5)).toThrow(ClockError);
    expect(() => new ClockDomain('x', 0)).toThrow(ClockError);
    expect(() => new ClockDomain('x', 1.5e6 + 0.5)).toThrow(ClockError);
  });
});
