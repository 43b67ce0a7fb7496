import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng } from './rng.ts';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
    for (const u of sa) expect(Number.isInteger(u) && u >= 0 && u < 2 ** 32).toBe(true);
  });

  it('nextI32() is the same draw as nextU32() in signed form', () => {
    const a = new Rng(3);
    const b = new Rng(3);
    let negatives = 0;
    for (let i = 0; i < 1000; i++) {
      const s = a.nextI32();
      expect(s).toBe(b.nextU32() | 0);
      if (s < 0) negatives++;
    }
    expect(negatives).toBeGreaterThan(300);
  });

  it('next() is in [0,1) and int(n) in [0,n) and roughly uniform', () => {
    const r = new Rng(1);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      counts[r.int(10)]++;
    }
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(250);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 53 }), fc.integer(), (n, seed) => {
        const v = new Rng(seed).int(n);
        expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
      }),
    );
    expect(() => r.int(0)).toThrow(RangeError);
  });

  it('fill writes 4 bytes per step, the same stream at any alignment', () => {
    const words = new Rng(3);
    const expected = new Uint8Array(23);
    for (let i = 0; i < 6; i++) {
      const u = words.nextU32();
      for (let k = 0; k < 4 && i * 4 + k < 23; k++) expected[i * 4 + k] = (u >>> (8 * k)) & 0xff;
    }
    const aligned = new Uint8Array(23);
    new Rng(3).fill(aligned);
    expect(aligned).toEqual(expected);
    const buf = new Uint8Array(40);
    new Rng(3).fill(buf.subarray(1, 24));
    expect(buf.subarray(1, 24)).toEqual(expected);
    expect(buf[0]).toBe(0);
    expect(buf[24]).toBe(0);
  });

  it('fork gives independent streams that do not depend on parent draws or other forks', () => {
    const p1 = new Rng(99);
    const f1 = p1.fork('dma');
    const p2 = new Rng(99);
    p2.nextU32();
    p2.fork('other');
    const f2 = p2.fork('dma');
    const s1 = Array.from({ length: 5 }, () => f1.nextU32());
    expect(Array.from({ length: 5 }, () => f2.nextU32())).toEqual(s1);
    const g = new Rng(99).fork('net');
    expect(Array.from({ length: 5 }, () => g.nextU32())).not.toEqual(s1);
    const parent = new Rng(99);
    expect(Array.from({ length: 5 }, () => parent.nextU32())).not.toEqual(s1);
  });
});
