import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import { DramTiming, DRAM_ARRIVE, DRAM_END, DRAM_STEP } from './dram-timing.ts';
import { lpddr2_800_2x32, DramConfigError } from './dram-timing-config.ts';
import type { DramTimingConfig } from './dram-timing-config.ts';

const BASE = 0x4000_0000;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

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

  it('counts every refresh interval a request skips, exactly at the interval boundaries', () => {
    const tREFI = 3_900_000;
    const d = new DramTiming(lpddr2_800_2x32);
    d.service(BASE, 32, false, tREFI + 100_000);
    expect(d.refreshes).toBe(1);
    // Exactly at the start of the interval after next: two refreshes since, the row closed, the port blocked.
    expect(d.service(BASE, 32, false, 3 * tREFI)).toBe(3 * tREFI + 130_000 + 43_000);
    expect(d.refreshes).toBe(3);
    // The last picosecond of that interval: no refresh; then exactly the next one.
    expect(d.service(BASE, 32, false, 4 * tREFI - 1)).toBe(4 * tREFI - 1 + 25_000);
    expect(d.refreshes).toBe(3);
    expect(d.service(BASE, 32, false, 4 * tREFI)).toBe(4 * tREFI + 130_000 + 43_000);
    expect(d.refreshes).toBe(4);
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
    fc.assert(
      fc.property(fc.array(streamStep(lpddr2_800_2x32), { minLength: 1, maxLength: 200 }), (steps) => {
        expectRunsMatchBursts(lpddr2_800_2x32, steps);
      }),
      { numRuns: 150 },
    );
  });

  it('serves runs exactly across refreshes, closed banks and row ends, for other geometries too', () => {
    // Short refresh intervals and arrivals placed around k·tREFI put refreshes inside runs and runs just
    // after a refresh (rows closed, the port blocked for tRFC); small rows and few banks put row ends and
    // conflicts inside runs; arrivals sometimes go back in time (another master's earlier request).
    const geometry = fc.record({
      tREFIns: fc.constantFrom(3900, 700, 400),
      rowBytes: fc.constantFrom(4096, 256, 128),
      banks: fc.constantFrom(8, 2, 1),
      ports: fc.constantFrom(2, 1, 4),
      portInterleaveBytes: fc.constantFrom(32, 32, 64),
    });
    fc.assert(
      fc.property(
        geometry.chain((g) => {
          const config: DramTimingConfig = {
            ...lpddr2_800_2x32, name: 'property', tREFI: { ns: g.tREFIns }, rowBytes: g.rowBytes, banks: g.banks,
            ports: g.ports, portInterleaveBytes: g.portInterleaveBytes,
          };
          return fc.tuple(fc.constant(config), fc.array(streamStep(config), { minLength: 1, maxLength: 120 }));
        }),
        ([config, steps]) => {
          expectRunsMatchBursts(config, steps);
        },
      ),
      { numRuns: 250 },
    );
  });

  it('serves chunk by chunk only the bursts that open a row or take a refresh', () => {
    // Per port, 2 chunks per 128-byte burst, bursts every 80 ns. Run 1 (after the refresh at 3.9 us) finds
    // its rows closed: burst 0 opens them chunk by chunk, bursts 1..3 go in closed form. Run 2 straddles the
    // refresh at 7.8 us: bursts 0..1 command before it, burst 2 takes it chunk by chunk (rows closed, port
    // blocked), burst 3 finds its row open again and goes in closed form.
    const serveChunk = vi.spyOn(DramTiming.prototype as unknown as { serveChunk: () => void }, 'serveChunk');
    const runs = new DramTiming(lpddr2_800_2x32);
    const ends = [runs.serviceBursts(BASE, 512, true, 4_200_000, 128, 80_000)];
    expect(serveChunk).toHaveBeenCalledTimes(4);
    ends.push(runs.serviceBursts(BASE + 512, 512, true, 7_650_000, 128, 80_000));
    expect(serveChunk).toHaveBeenCalledTimes(8);
    serveChunk.mockRestore();
    const perBurst = new DramTiming(lpddr2_800_2x32);
    for (const [r, t0] of [[0, 4_200_000], [1, 7_650_000]] as const) {
      let want = 0;
      for (let i = 0; i < 4; i++) want = Math.max(want, perBurst.service(BASE + r * 512 + i * 128, 128, true, t0 + i * 80_000));
      expect(ends[r]).toBe(want);
    }
    expect(runs.refreshes).toBe(4);
    expect(runs.report(8_000_000)).toEqual(perBurst.report(8_000_000));
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

  it('gives the same times above 2^31 as below (the int32 address path agrees with the float one)', () => {
    // Shifting every address by 1 GiB or 4 GiB (multiples of rowBytes × banks × ports) keeps each request's
    // port, bank and column and shifts all rows alike, so times and statistics must not change. The low
    // twin stays below 2^31 (shifts and masks), the high ones lie across and above it (float arithmetic).
    fc.assert(
      fc.property(fc.array(streamStep(lpddr2_800_2x32), { minLength: 1, maxLength: 120 }), (steps) => {
        const low = 0x7fc0_0000 - GiB;
        const twins = [low, low + GiB, low + 4 * GiB].map((base) => ({ base, d: new DramTiming(lpddr2_800_2x32), ends: [] as number[] }));
        let t = 0;
        let off = 0;
        for (const s of steps) {
          t += s.gap;
          off = (Math.floor((off + s.jump) / s.align) * s.align) % (8 * MiB);
          const bytes = s.run ? Math.max(1, s.bursts * s.burstBytes - (s.tail % s.burstBytes)) : 32;
          for (const w of twins) w.ends.push(w.d.serviceBursts(w.base + off, bytes, s.write, t, s.run ? s.burstBytes : 32, s.pitch));
          off += bytes;
        }
        for (const w of twins.slice(1)) {
          expect(w.ends).toEqual(twins[0]!.ends);
          expect(w.d.report(t)).toEqual(twins[0]!.d.report(t));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('serves a burst-aligned stream by serveStream exactly as by serviceBursts', () => {
    // Bursts of k × 64 bytes (k chunks per port) from burst-aligned addresses, whole chunks, reads and writes.
    const streamCase = fc.record({
      k: fc.constantFrom(1, 2, 4),
      burstIndex: fc.nat(200_000),
      bursts: fc.integer({ min: 1, max: 8 }),
      tailChunks: fc.nat(3),
      pitch: fc.constantFrom(0, 10_000, 80_000),
      write: fc.boolean(),
      gap: fc.oneof(fc.nat(400_000), fc.nat(5_000_000)),
    });
    fc.assert(
      fc.property(fc.array(streamCase, { minLength: 1, maxLength: 80 }), (cases) => {
        const stream = new DramTiming(lpddr2_800_2x32);
        const general = new DramTiming(lpddr2_800_2x32);
        let t = 0;
        for (const c of cases) {
          t += c.gap;
          const burstBytes = c.k * 64;
          expect(stream.streamChunksPerPort(burstBytes)).toBe(c.k);
          const addr = BASE + (c.burstIndex % 4096) * burstBytes;
          const bytes = Math.max(32, c.bursts * burstBytes - 32 * Math.min(c.tailChunks, 2 * c.k - 1));
          stream.io[DRAM_ARRIVE] = t;
          stream.io[DRAM_STEP] = c.pitch;
          stream.serveStream(addr, bytes, c.write, c.k);
          expect(stream.io[DRAM_END]).toBe(general.serviceBursts(addr, bytes, c.write, t, burstBytes, c.pitch));
        }
        expect(stream.report(t)).toEqual(general.report(t));
      }),
      { numRuns: 100 },
    );
  });

  it('serves consecutive streaming groups by serveStream exactly as by serviceBursts, for other geometries too', () => {
    // Groups that follow each other through the address space (as a camera's do): most shares find their
    // row open and no refresh due (serveStream's inline closed form); short refresh intervals, small rows
    // and jumps put refreshes, row ends and conflicts inside shares (serveShare's cases). tREFI 0: no refresh.
    const geometry = fc.record({
      tREFIns: fc.constantFrom(3900, 700, 0),
      rowBytes: fc.constantFrom(4096, 512, 256),
      banks: fc.constantFrom(8, 2),
      ports: fc.constantFrom(2, 1, 4),
      k: fc.constantFrom(1, 2),
    });
    const group = fc.record({
      bursts: fc.integer({ min: 1, max: 6 }),
      tailChunks: fc.nat(3),
      pitch: fc.constantFrom(0, 10_000, 40_000),
      write: fc.boolean(),
      gap: fc.oneof(fc.constant(0), fc.nat(300_000), fc.nat(3_000_000)),
      jumpBursts: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(5_000)),
    });
    fc.assert(
      fc.property(geometry, fc.array(group, { minLength: 1, maxLength: 120 }), (g, groups) => {
        const config: DramTimingConfig = {
          ...lpddr2_800_2x32, name: 'property', tREFI: { ns: g.tREFIns }, rowBytes: g.rowBytes, banks: g.banks, ports: g.ports,
        };
        const stream = new DramTiming(config);
        const general = new DramTiming(config);
        const burstBytes = g.k * 32 * g.ports;
        expect(stream.streamChunksPerPort(burstBytes)).toBe(g.k);
        let t = 0;
        let burstIndex = 0;
        for (const c of groups) {
          t += c.gap;
          burstIndex += c.jumpBursts;
          const addr = BASE + burstIndex * burstBytes;
          const bytes = Math.max(32, c.bursts * burstBytes - 32 * Math.min(c.tailChunks, g.k * g.ports - 1));
          stream.io[DRAM_ARRIVE] = t;
          stream.io[DRAM_STEP] = c.pitch;
          stream.serveStream(addr, bytes, c.write, g.k);
          expect(stream.io[DRAM_END]).toBe(general.serviceBursts(addr, bytes, c.write, t, burstBytes, c.pitch));
          burstIndex += c.bursts;
        }
        expect(stream.report(t)).toEqual(general.report(t));
      }),
      { numRuns: 200 },
    );
  });

  it('offers serveStream only for bursts of whole rounds of the port interleave', () => {
    const d = new DramTiming(lpddr2_800_2x32);
    expect([32, 64, 96, 128, 192, 256].map((b) => d.streamChunksPerPort(b))).toEqual([0, 1, 0, 2, 3, 4]);
  });
});

interface StreamStep {
  run: boolean; off: number; jump: number; align: number; bursts: number; burstBytes: number; tail: number;
  pitch: number; write: boolean; gap: number; toRefresh: boolean; nearRefreshPs: number; back: number;
}

/** One step of a mixed workload: a streaming run of bursts, or a single 32-byte request of another master. */
function streamStep(config: DramTimingConfig): fc.Arbitrary<StreamStep> {
  return fc.record({
    run: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(true), fc.boolean()),
    off: fc.nat(4 * MiB),
    jump: fc.oneof(fc.constant(0), fc.constant(0), fc.nat(65_536)),
    align: fc.constantFrom(1, 32, 128, 128, 128),
    bursts: fc.integer({ min: 1, max: 8 }),
    burstBytes: fc.constantFrom(32, 64, 128, 128, 96, 256),
    tail: fc.constantFrom(0, 0, 32, 64, 5),
    pitch: fc.constantFrom(0, 5_000, 10_000, 20_000, 40_000, 80_000),
    write: fc.boolean(),
    gap: fc.oneof(fc.nat(400_000), fc.nat(400_000), fc.nat(5_000_000)),
    // Jump to just before or after the next refresh (within a few bursts of it), often exactly onto it or a
    // whole number of chunk times or half clocks away, so that commands fall exactly on the boundary.
    toRefresh: fc.oneof(fc.constant(false), fc.constant(false), fc.constant(true)),
    nearRefreshPs: fc.oneof(
      fc.integer({ min: -Math.min(300_000, 'ns' in config.tREFI ? config.tREFI.ns * 1000 : 0), max: 300_000 }),
      fc.constant(0),
      fc.integer({ min: -8, max: 2 }).map((i) => i * 10_000),
      fc.integer({ min: -40, max: 40 }).map((i) => i * 1_250),
    ),
    back: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.constant(0), fc.nat(300_000)),
  });
}

/**
 * Twin DRAMs, one served by runs (serviceBursts), one by one request per burst: every end time and, at the
 * end, every statistic must agree.
 */
function expectRunsMatchBursts(config: DramTimingConfig, steps: readonly StreamStep[]): void {
  const runs = new DramTiming(config);
  const perBurst = new DramTiming(config);
  const tREFI = 'ns' in config.tREFI ? config.tREFI.ns * 1000 : 0;
  let t = 0;
  let streamAddr = BASE;
  for (const s of steps) {
    t += s.gap;
    if (s.toRefresh && tREFI > 0) t = Math.max(0, (Math.floor(t / tREFI) + 1) * tREFI + s.nearRefreshPs);
    const at = Math.max(0, t - s.back);
    if (!s.run) {
      const a = BASE + s.off;
      expect(runs.service(a, 32, s.write, at)).toBe(perBurst.service(a, 32, s.write, at));
      continue;
    }
    streamAddr = Math.floor((streamAddr + s.jump) / s.align) * s.align;
    const bytes = Math.max(1, s.bursts * s.burstBytes - (s.tail % s.burstBytes));
    const got = runs.serviceBursts(streamAddr, bytes, s.write, at, s.burstBytes, s.pitch);
    let want = at;
    for (let off = 0, i = 0; off < bytes; off += s.burstBytes, i++) {
      want = Math.max(want, perBurst.service(streamAddr + off, Math.min(s.burstBytes, bytes - off), s.write, at + i * s.pitch));
    }
    expect(got).toBe(want);
    streamAddr += bytes;
  }
  expect(runs.report(t)).toEqual(perBurst.report(t));
}
