import { describe, it, expect } from 'vitest';
import { Stats, Histogram, EXACT_SAMPLE_CAP, StatsError } from './stats.ts';

describe('Stats', () => {
  it('creates counters on first use and serialises sorted by name', () => {
    const s = new Stats();
    s.counter('z.bytes').add(10);
    s.counter('a.maps').add();
    s.counter('a.maps').add(2);
    s.histogram('m.lat').record(5);
    expect(Object.keys(s.toJSON())).toEqual(['a.maps', 'm.lat', 'z.bytes']);
    expect(s.toJSON()['a.maps']).toBe(3);
    expect(() => s.histogram('a.maps')).toThrow(StatsError);
    s.reset();
    expect(s.counter('z.bytes').value).toBe(0);
    expect(s.histogram('m.lat').count).toBe(0);
  });

  it('a derived counter shows its source since the last reset, cannot be added to, and needs a new name', () => {
    const st = new Stats();
    const totals = new Float64Array(1);
    totals[0] = 5; // counted before the counter existed: not shown
    const c = st.derivedCounter('bus.x.bytes', () => totals[0]!);
    expect(c.value).toBe(0);
    totals[0]! += 120;
    expect(c.value).toBe(120);
    expect(st.toJSON()['bus.x.bytes']).toBe(120);
    expect(st.counter('bus.x.bytes')).toBe(c);
    st.reset();
    expect(c.value).toBe(0);
    totals[0]! += 7;
    expect(c.value).toBe(7);
    expect(() => c.add(1)).toThrow(StatsError);
    expect(() => st.derivedCounter('bus.x.bytes', () => 0)).toThrow(StatsError);
    st.counter('plain').add(3);
    expect(() => st.derivedCounter('plain', () => 0)).toThrow(/already exists/);
  });

  it('histogram percentiles are exact nearest-rank while under the cap', () => {
    const h = new Histogram('h');
    for (let v = 100; v >= 1; v--) h.record(v);
    expect(h.count).toBe(100);
    expect(h.min).toBe(1);
    expect(h.max).toBe(100);
    expect(h.mean).toBe(50.5);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.isExact).toBe(true);
  });

  it('past the cap, bucket percentiles stay within 1% of exact', () => {
    const h = new Histogram('h');
    const n = EXACT_SAMPLE_CAP * 5;
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = ((i * 7919) % n) * 13 + 1;
      values.push(v);
      h.record(v);
    }
    expect(h.isExact).toBe(false);
    values.sort((a, b) => a - b);
    for (const p of [1, 50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * n) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
    expect(() => h.record(-1)).toThrow(StatsError);
  });
});
