import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DramTiming } from './dram-timing.ts';
import { lpddr2_800_2x32, DramConfigError } from './dram-timing-config.ts';
import type { DramTimingConfig } from './dram-timing-config.ts';

const BASE = 0x4000_0000;
const MiB = 1024 * 1024;

describe('DramTiming (lpddr2_800_2x32)', () => {
  it('has the 6.4 GB/s peak and maps 32-byte chunks alternately to the two ports', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    expect(d.peakBytesPerSec).toBe(6.4e9);
    expect(d.portOf(BASE)).toBe(0);
    expect(d.portOf(BASE + 32)).toBe(1);
    expect(d.portOf(BASE + 64)).toBe(0);
    // 4 KiB row per port, so 8 KiB of address space fills one row on both ports, then the next bank.
    expect(d.bankOf(BASE + 8 * 1024 - 1)).toBe(d.bankOf(BASE));
    expect(d.bankOf(BASE + 8 * 1024)).toBe((d.bankOf(BASE) + 1) % 8);
    expect(d.sameBankRowStrideBytes).toBe(64 * 1024);
    expect(d.bankOf(BASE + d.sameBankRowStrideBytes)).toBe(d.bankOf(BASE));
    expect(d.rowOf(BASE + d.sameBankRowStrideBytes)).toBe(d.rowOf(BASE) + 1);
  });

  it('gives exact times for closed-bank, row-hit and row-conflict reads', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    // Closed bank: tRCD 18 ns + RL 6 × 2.5 ns + BL8 at 800 MT/s (10 ns) = 43 ns.
    expect(d.service(BASE, 32, false, 0)).toBe(43_000);
    // Same row, same port: pipelines behind the first burst.
    expect(d.service(BASE + 64, 32, false, 0)).toBe(53_000);
    // Other row, same bank: precharge waits for tRAS (42 ns), + tRP 21 + tRCD 18 + RL 15 + 10 = 106 ns.
    expect(d.service(BASE + d.sameBankRowStrideBytes, 32, false, 0)).toBe(106_000);
    expect(d.rowHits).toBe(1);
    expect(d.rowMisses).toBe(2);
    expect(d.rowConflicts).toBe(1);
    expect(d.bytesRead).toBe(96);
  });

  it('serves a 64-byte request on both ports in parallel', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    expect(d.service(BASE, 64, false, 0)).toBe(43_000);
    expect(Array.from(d.busyPs)).toEqual([10_000, 10_000]);
  });

  it('charges a whole burst for a short access', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    expect(d.service(BASE, 4, true, 0)).toBe(18_000 + 7_500 + 10_000);
    expect(d.bytesWritten).toBe(4);
  });

  it('streams sequential reads near the peak, never above it', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    let end = 0;
    for (let off = 0; off < 4 * MiB; off += 64) end = Math.max(end, d.service(BASE + off, 64, false, 0));
    const bw = (4 * MiB) / (end / 1e12);
    expect(bw).toBeLessThanOrEqual(d.peakBytesPerSec);
    expect(bw).toBeGreaterThan(0.9 * d.peakBytesPerSec);
    expect(d.refreshes).toBeGreaterThan(0);
    expect(d.utilisation(end)).toBeGreaterThan(0.9);
    expect(d.utilisation(end)).toBeLessThanOrEqual(1);
  });

  it('makes same-bank row-miss streams much slower than row-hit streams', () => {
    const hit = new DramTiming(lpddr2_800_2x32);
    const miss = new DramTiming(lpddr2_800_2x32);
    let tHit = 0;
    let tMiss = 0;
    for (let i = 0; i < 256; i++) {
      tHit = hit.service(BASE + i * 32, 32, false, tHit);
      tMiss = miss.service(BASE + i * miss.sameBankRowStrideBytes, 32, false, tMiss);
    }
    expect(miss.rowMisses).toBe(256);
    // Refreshes close the row now and then, so a few misses find the bank closed rather than conflicting.
    expect(miss.rowConflicts).toBeGreaterThan(245);
    // 8 KiB over two ports: each port opens its row once, and again after each refresh.
    expect(hit.rowMisses).toBe(2 + hit.refreshes);
    expect(hit.refreshes).toBe(2);
    expect(tMiss).toBeGreaterThan(2 * tHit);
  });

  it('closes rows and blocks the port for tRFC at each refresh', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    d.service(BASE, 32, false, 0);
    // Arriving 1 ns into the refresh at 3.9 µs: wait to 3.9 µs + 130 ns, then reopen the row.
    const end = d.service(BASE, 32, false, 3_901_000);
    expect(end).toBe(3_900_000 + 130_000 + 43_000);
    expect(d.refreshes).toBe(1);
    expect(d.rowMisses).toBe(2);
  });

  it('refuses a config with a non-power-of-two geometry', () => {
    const bad: DramTimingConfig = { ...lpddr2_800_2x32, banks: 6 };
    expect(() => new DramTiming(bad)).toThrow(DramConfigError);
    expect(() => new DramTiming(bad)).toThrow(/banks must be a power of two, got 6/);
  });

  it('never completes before the minimum latency nor moves data faster than the peak, for any request mix', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ off: fc.nat(64 * MiB), len: fc.integer({ min: 1, max: 512 }), write: fc.boolean(), gap: fc.nat(200_000) }), { minLength: 1, maxLength: 200 }),
        (reqs) => {
          const d = new DramTiming(lpddr2_800_2x32);
          let t = 0;
          let last = 0;
          let bytes = 0;
          for (const r of reqs) {
            t += r.gap;
            const end = d.service(BASE + r.off, r.len, r.write, t);
            // Fastest possible: a row hit, WL (7.5 ns) then one burst (10 ns).
            expect(end).toBeGreaterThanOrEqual(t + 17_500);
            expect(Number.isInteger(end)).toBe(true);
            last = Math.max(last, end);
            bytes += r.len;
          }
          expect(d.utilisation(last)).toBeLessThanOrEqual(1);
          expect(d.bytesRead + d.bytesWritten).toBe(bytes);
          expect(d.rowHits + d.rowMisses).toBeGreaterThanOrEqual(reqs.length);
        },
      ),
      { numRuns: 100 },
    );
  });
  it('serves a run of bursts exactly as one request per burst, whatever the stream, gaps and contention', () => {
    // Each case mixes streaming runs (the closed form's territory: row hits, refresh edges, row ends) with
    // single requests of another master in between; twin DRAMs must agree on every time and statistic.
    const step = fc.record({
      run: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(true), fc.boolean()),
      off: fc.nat(4 * MiB),
      jump: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(65_536)),
      align: fc.constantFrom(1, 32, 128, 128, 128),
      bursts: fc.integer({ min: 1, max: 8 }),
      burstBytes: fc.constantFrom(32, 64, 128, 128, 96),
      tail: fc.constantFrom(0, 0, 32, 64, 5),
      pitch: fc.constantFrom(0, 5_000, 10_000, 20_000, 40_000, 80_000),
      write: fc.boolean(),
      gap: fc.oneof(fc.nat(400_000), fc.nat(400_000), fc.nat(5_000_000)),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), (steps) => {
        const runs = new DramTiming(lpddr2_800_2x32);
        const perBurst = new DramTiming(lpddr2_800_2x32);
        let t = 0;
        let streamAddr = BASE;
        for (const s of steps) {
          t += s.gap;
          if (!s.run) {
            const a = BASE + s.off;
            expect(runs.service(a, 32, s.write, t)).toBe(perBurst.service(a, 32, s.write, t));
            continue;
          }
          streamAddr = Math.floor((streamAddr + s.jump) / s.align) * s.align;
          const bytes = Math.max(1, s.bursts * s.burstBytes - (s.tail % s.burstBytes));
          const got = runs.serviceBursts(streamAddr, bytes, s.write, t, s.burstBytes, s.pitch);
          let want = t;
          for (let off = 0, i = 0; off < bytes; off += s.burstBytes, i++) {
            want = Math.max(want, perBurst.service(streamAddr + off, Math.min(s.burstBytes, bytes - off), s.write, t + i * s.pitch));
          }
          expect(got).toBe(want);
          streamAddr += bytes;
        }
        expect(runs.report(t)).toEqual(perBurst.report(t));
      }),
      { numRuns: 150 },
    );
  });

  it('takes a streaming run in closed form only when it is exact (same result across a refresh)', () => {
    // 4 bursts of 128 B every 80 ns, back to back, straddling the refresh at 3.9 us.
    const runs = new DramTiming(lpddr2_800_2x32);
    const perBurst = new DramTiming(lpddr2_800_2x32);
    for (let t = 0, a = BASE; t < 12_000_000; t += 320_000, a += 512) {
      let want = t;
      for (let i = 0; i < 4; i++) want = Math.max(want, perBurst.service(a + i * 128, 128, true, t + i * 80_000));
      expect(runs.serviceBursts(a, 512, true, t, 128, 80_000)).toBe(want);
    }
    expect(runs.refreshes).toBeGreaterThan(0);
    expect(runs.report(12_000_000)).toEqual(perBurst.report(12_000_000));
  });
});
