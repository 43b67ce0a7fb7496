import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Latency100ns, intSqrt } from './kernel-stats.ts';

describe('Latency100ns (the kernel map_benchmark bookkeeping)', () => {
  it('truncates each latency to whole 100 ns units', () => {
    const a = new Latency100ns();
    a.add(99_999); // 99.999 ns -> 0
    a.add(100_000); // 100 ns -> 1
    a.add(1_234_567); // 1234 ns -> 12
    expect(a.sum).toBe(13);
    expect(a.sumSq).toBe(0 + 1 + 144);
    expect(a.loops).toBe(3);
  });

  it('computes mean and standard deviation in integer arithmetic as the kernel does', () => {
    const a = new Latency100ns();
    for (const ns of [1000, 1000, 3000, 3000]) a.add(ns * 1000);
    // units 10,10,30,30: mean 20, sumSq/4 = 500, variance 100, stddev 10
    expect(a.summary()).toEqual({ mean100ns: 20, stddev100ns: 10 });
    const b = new Latency100ns();
    for (const ns of [100, 200]) b.add(ns * 1000);
    // units 1,2: mean floor(1.5)=1, floor(5/2)=2, variance 1, stddev 1
    expect(b.summary()).toEqual({ mean100ns: 1, stddev100ns: 1 });
  });

  it('reports zeros when no loop ran', () => {
    expect(new Latency100ns().summary()).toEqual({ mean100ns: 0, stddev100ns: 0 });
  });

  it('merging thread accumulators equals one accumulator of every sample', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50_000_000)), fc.array(fc.nat(50_000_000)), (xs, ys) => {
        const a = new Latency100ns();
        const b = new Latency100ns();
        const all = new Latency100ns();
        for (const x of xs) (a.add(x), all.add(x));
        for (const y of ys) (b.add(y), all.add(y));
        a.merge(b);
        expect(a.summary()).toEqual(all.summary());
      }),
    );
  });
});

describe('intSqrt', () => {
  it('is the floor of the square root', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.integer({ min: 0, max: 2 ** 50 })), (x) => {
        const r = intSqrt(x);
        expect(r * r).toBeLessThanOrEqual(x);
        expect((r + 1) * (r + 1)).toBeGreaterThan(x);
      }),
    );
    expect(intSqrt(-5)).toBe(0);
  });
});
