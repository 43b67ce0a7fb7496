import { describe, it, expect } from 'vitest';
import { Simulator } from '../../emulator/kernel/index.ts';
import type { Ps } from '../../emulator/kernel/index.ts';
import { AddressMap, BusError, Dram, MmioRegisters } from '../memory/index.ts';
import { DramTiming, lpddr2_800_2x32 } from '../dram/index.ts';
import { Interconnect, T_END } from './interconnect.ts';
import type { MasterConfig, TransferDone } from './interconnect.ts';

const DRAM_BASE = 0x4000_0000;
const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;
const BUS = { clockHz: 400_000_000, widthBytes: 16, hopLatencyCycles: 2 };
const DMA: Omit<MasterConfig, 'name'> = { widthBytes: 16, maxBurstBeats: 16, maxOutstanding: 4 };

/** A DramTiming that records every request it serves. */
class RecordingDram extends DramTiming {
  readonly requests: { addr: number; bytes: number }[] = [];
  onService: ((addr: number, bytes: number) => void) | undefined;
  override serve(addr: number, bytes: number, isWrite: boolean, burstBytes: number): void {
    this.requests.push({ addr, bytes });
    this.onService?.(addr, bytes);
    super.serve(addr, bytes, isWrite, burstBytes);
  }
}

function machine(dram: DramTiming = new DramTiming(lpddr2_800_2x32)) {
  const sim = new Simulator({ seed: 1 });
  const map = new AddressMap();
  map.add({ name: 'dram0', base: DRAM_BASE, size: GiB, kind: 'dram', target: new Dram(DRAM_BASE, GiB) });
  map.add({ name: 'pdma0', base: 0x1268_0000, size: 0x1000, kind: 'mmio', target: new MmioRegisters('pdma0', 0x1268_0000, 0x1000) });
  const ic = new Interconnect(sim, map, dram, BUS);
  return { sim, map, ic, dram };
}

/** Records completions and errors by tag. */
class Completions implements TransferDone {
  readonly ends = new Map<number, number>();
  readonly errors: { err: BusError; tag: number }[] = [];
  last = 0;
  onTransferDone(endPs: number, tag: number): void {
    this.ends.set(tag, endPs);
    if (endPs > this.last) this.last = endPs;
  }
  onTransferError(err: BusError, tag: number): void {
    this.errors.push({ err, tag });
  }
}

const bytesPerSec = (bytes: number, ps: number): number => bytes / (ps / 1e12);

describe('Interconnect timing path', () => {
  it('completes a small read at an exact, deterministic time', () => {
    const { sim, ic } = machine();
    const m = ic.addMaster({ name: 'mdma', widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 2 });
    const c = new Completions();
    ic.transfer(m, DRAM_BASE, 64, false, c, 7);
    sim.run();
    // hop 5 ns, DRAM closed bank on both ports 18 + 15 + 10 ns = 43 ns, hop back 5 ns.
    expect(c.ends.get(7)).toBe(53_000);
    // A 4-byte MMIO write: hop 5 + 4 cycles 10 + 1 beat 2.5 + hop 5 = 22.5 ns after the first finished.
    ic.transfer(m, 0x1268_0010, 4, true, c, 8);
    sim.run();
    expect(c.ends.get(8)! - 53_000).toBe(22_500);
  });

  it('delivers a bus error for an unmapped address to the requester, naming address and master', () => {
    const { sim, ic } = machine();
    const m = ic.addMaster({ name: 'fimc', ...DMA });
    const c = new Completions();
    ic.transfer(m, 0xc000_0000, 64, true, c, 3);
    sim.run();
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]!.tag).toBe(3);
    expect(c.errors[0]!.err.message).toBe('bus error: fimc write of 64 bytes at 0x00000000c0000000 hits no region (master fimc)');
    expect(ic.report().masters[0]!.errors).toBe(1);
  });

  it('reports the error after the bursts already in flight when a transfer runs off the end of DRAM', () => {
    const { sim, ic } = machine();
    const m = ic.addMaster({ name: 'mdma', ...DMA });
    const c = new Completions();
    ic.transfer(m, DRAM_BASE + GiB - 512, 1024, false, c, 1);
    sim.run();
    expect(c.ends.size).toBe(0);
    expect(c.errors[0]!.err.addr).toBe(DRAM_BASE + GiB);
    expect(c.errors[0]!.err.message).toMatch(/hits no region \(master mdma\)/);
    expect(ic.report().masters[0]!.bytes).toBe(512);
  });

  it('throws the bus error out of the simulation when the requester cannot take it', () => {
    const { sim, ic } = machine();
    const m = ic.addMaster({ name: 'audio', ...DMA });
    ic.transfer(m, 0x10, 4, false, { onTransferDone: () => undefined });
    expect(() => sim.run()).toThrow(BusError);
  });

  it('splits into bursts of at most maxBurstBeats × width that never cross 4 KiB, within maxOutstanding', () => {
    const dram = new RecordingDram(lpddr2_800_2x32);
    const { sim, ic } = machine(dram);
    const m = ic.addMaster({ name: 'mdma', widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 3 });
    let maxSeen = 0;
    dram.onService = () => {
      maxSeen = Math.max(maxSeen, ic.outstanding(m));
    };
    const c = new Completions();
    ic.transfer(m, DRAM_BASE + 0xf80 + 3, 10_000, true, c);
    sim.run();
    expect(c.ends.size).toBe(1);
    let total = 0;
    for (const r of dram.requests) {
      expect(r.bytes).toBeLessThanOrEqual(128);
      expect(Math.floor(r.addr / 4096)).toBe(Math.floor((r.addr + r.bytes - 1) / 4096));
      total += r.bytes;
    }
    expect(total).toBe(10_000);
    expect(dram.requests[0]).toEqual({ addr: DRAM_BASE + 0xf83, bytes: 125 });
    expect(maxSeen).toBe(2); // checked before the granted burst is counted: never a 4th in flight
    expect(sim.stats.counter('bus.mdma.bytes').value).toBe(10_000);
    expect(sim.stats.counter('bus.mdma.bursts').value).toBe(dram.requests.length);
  });
});

describe('Interconnect bandwidth sharing', () => {
  function streams(count: number, bytes: number) {
    const { sim, ic, dram } = machine();
    const done: Completions[] = [];
    for (let i = 0; i < count; i++) {
      const m = ic.addMaster({ name: `dma${i}`, ...DMA });
      const c = new Completions();
      done.push(c);
      // Streams 64 MiB apart plus half the bank rotation (32 KiB), so they compete for the ports while
      // staying four banks apart (FCFS reservation has no row-hit reordering: same-bank streams thrash).
      ic.transfer(m, DRAM_BASE + i * (64 * MiB + 32 * 1024), bytes, false, c);
    }
    sim.run();
    return { ends: done.map((c) => c.last), ic, dram, sim };
  }

  it('gives each of two concurrent streams less bandwidth than one alone, the sum within the DRAM peak', () => {
    const one = streams(1, MiB);
    const two = streams(2, MiB);
    const alone = bytesPerSec(MiB, one.ends[0]!);
    const each = two.ends.map((e) => bytesPerSec(MiB, e));
    const sum = bytesPerSec(2 * MiB, Math.max(...two.ends));
    expect(alone).toBeLessThanOrEqual(6.4e9);
    for (const bw of each) expect(bw).toBeLessThan(alone);
    expect(sum).toBeLessThanOrEqual(6.4e9);
    expect(sum).toBeGreaterThan(alone * 0.9);
    expect(two.dram.utilisation(two.sim.now)).toBeLessThanOrEqual(1);
  });

  it('shares fairly: two equal streams finish within 3% of each other', () => {
    const { ends } = streams(2, MiB);
    const [a, b] = ends as [number, number];
    expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.03);
  });

  it('runs sequential (row-hit) streams faster than same-bank row-miss streams', () => {
    const run = (stride: number) => {
      const { sim, ic, dram } = machine();
      const m = ic.addMaster({ name: 'dma', ...DMA });
      const c = new Completions();
      for (let i = 0; i < 512; i++) ic.transfer(m, DRAM_BASE + i * stride, 64, false, c, i);
      sim.run();
      return { end: c.last, dram };
    };
    const hit = run(64);
    const miss = run(lpddr2_800_2x32.rowBytes * lpddr2_800_2x32.banks * lpddr2_800_2x32.ports);
    expect(hit.dram.rowHits).toBeGreaterThan(hit.dram.rowMisses * 10);
    expect(miss.dram.rowConflicts).toBeGreaterThan(500);
    expect(miss.end).toBeGreaterThan(3 * hit.end);
  });

  it('lets a requester chain transfers from its completion callback', () => {
    const { sim, ic } = machine();
    const m = ic.addMaster({ name: 'cam', ...DMA });
    const starts: number[] = [];
    const chain: TransferDone = {
      onTransferDone(endPs, tag) {
        if (tag < 15) {
          starts.push(endPs);
          ic.transfer(m, DRAM_BASE + (tag + 1) * 4096, 4096, true, chain, tag + 1);
        } else starts.push(endPs);
      },
    };
    ic.transfer(m, DRAM_BASE, 4096, true, chain, 0);
    sim.run();
    expect(starts).toHaveLength(16);
    for (let i = 1; i < 16; i++) expect(starts[i]!).toBeGreaterThan(starts[i - 1]!);
    expect(ic.report().masters[0]!.transfers).toBe(16);
    expect(ic.report().masters[0]!.bytes).toBe(64 * 1024);
  });

  it('loses bandwidth when two streams hit the same bank in different rows (no row-hit reordering)', () => {
    const run = (offset: number) => {
      const { sim, ic } = machine();
      const ends: number[] = [];
      for (let i = 0; i < 2; i++) {
        const m = ic.addMaster({ name: `dma${i}`, ...DMA });
        ic.transfer(m, DRAM_BASE + i * offset, 256 * 1024, false, { onTransferDone: (e) => void ends.push(e) });
      }
      sim.run();
      return Math.max(...ends);
    };
    expect(run(64 * MiB)).toBeGreaterThan(1.5 * run(64 * MiB + 32 * 1024));
  });

  it('is deterministic: the same streams end at the same picosecond', () => {
    expect(streams(2, 256 * 1024).ends).toEqual(streams(2, 256 * 1024).ends);
  });
});

describe('Interconnect atomic path', () => {
  it('returns an exact completion time on an idle bus', () => {
    const { ic } = machine();
    const cpu = ic.addMaster({ name: 'cpu', widthBytes: 8, maxBurstBeats: 4, maxOutstanding: 8 });
    // A 32-byte line fill: hop 5 ns + closed bank 43 ns + hop 5 ns.
    expect(ic.access(cpu, DRAM_BASE + 0x1000, 32, false, 1_000_000)).toBe(1_000_000 + 53_000);
  });

  it('competes with DMA for the DRAM', () => {
    const idle = machine();
    const cpuIdle = idle.ic.addMaster({ name: 'cpu', widthBytes: 8, maxBurstBeats: 4, maxOutstanding: 8 });
    idle.ic.access(cpuIdle, DRAM_BASE + 32 * MiB, 32, false, 0);
    const idleLatency = idle.ic.access(cpuIdle, DRAM_BASE + 32 * MiB + 64, 32, false, 1_000_000) - 1_000_000;

    const busy = machine();
    const dma = busy.ic.addMaster({ name: 'dma', ...DMA });
    const cpu = busy.ic.addMaster({ name: 'cpu', widthBytes: 8, maxBurstBeats: 4, maxOutstanding: 8 });
    busy.ic.access(cpu, DRAM_BASE + 32 * MiB, 32, false, 0);
    busy.ic.transfer(dma, DRAM_BASE, MiB, false, new Completions());
    busy.sim.run(1_000_000);
    const busyLatency = busy.ic.access(cpu, DRAM_BASE + 32 * MiB + 64, 32, false, 1_000_000) - 1_000_000;
    expect(busyLatency).toBeGreaterThan(idleLatency);
    expect(busy.ic.report().masters.map((r) => r.name)).toEqual(['dma', 'cpu']);
  });

  it('throws a bus error for an unmapped atomic access', () => {
    const { ic } = machine();
    const cpu = ic.addMaster({ name: 'cpu0', widthBytes: 8, maxBurstBeats: 4, maxOutstanding: 8 });
    expect(() => ic.access(cpu, 0x2000_0000, 32, false, 0)).toThrow(/cpu0 read of 32 bytes at 0x0000000020000000 hits no region/);
  });
});

describe('Interconnect burst groups', () => {
  /** An interconnect that counts its simulator events (arbitration passes plus group completions). */
  class CountingInterconnect extends Interconnect {
    events = 0;
    override onEvent(arg: number): void {
      this.events++;
      super.onEvent(arg);
    }
  }

  function grouped(burstGroup: number | undefined, maxOutstanding = 8) {
    const { sim, map, dram } = machine();
    const ic = new CountingInterconnect(sim, map, dram, BUS);
    const cfg: MasterConfig = { name: 'fimc', widthBytes: 8, maxBurstBeats: 16, maxOutstanding, ...(burstGroup !== undefined ? { burstGroup } : {}) };
    const m = ic.addMaster(cfg);
    return { sim, ic, m };
  }

  it('completes a group of bursts under one simulator event, moving the same bytes in the same bursts', () => {
    const one = grouped(1);
    const four = grouped(4);
    for (const g of [one, four]) {
      g.ic.transfer(g.m, DRAM_BASE, 64 * 1024, true, new Completions());
      g.sim.run();
    }
    // 64 KiB in 128-byte bursts: 512 bursts; one arbitration event plus one event per completion.
    expect(one.ic.events).toBe(1 + 512);
    expect(four.ic.events).toBe(1 + 512 / 4);
    expect(four.ic.report().masters[0]!.bursts).toBe(512);
    expect(four.ic.report().masters[0]!.bytes).toBe(64 * 1024);
  });

  it('is the per-burst model at burstGroup 1 (the default) and stays within 5% of it with groups of 4', () => {
    const run = (burstGroup: number | undefined) => {
      const g = grouped(burstGroup);
      const c = new Completions();
      g.ic.transfer(g.m, DRAM_BASE + 0x40, 256 * 1024, true, c, 1);
      g.sim.run();
      return c.ends.get(1)!;
    };
    const dflt = run(undefined);
    expect(run(1)).toBe(dflt);
    const four = run(4);
    expect(Math.abs(four - dflt) / dflt).toBeLessThan(0.05);
  });

  it('never has more than maxOutstanding bursts in flight, filling the free slots with a smaller group', () => {
    const g = grouped(4, 6);
    g.ic.transfer(g.m, DRAM_BASE, 64 * 1024, false, new Completions());
    let maxSeen = 0;
    const sample = (): void => {
      maxSeen = Math.max(maxSeen, g.ic.outstanding(g.m));
      if (g.sim.pending > 1) g.sim.schedule(1_000, sample);
    };
    g.sim.schedule(0, sample);
    g.sim.run();
    expect(maxSeen).toBe(6);
  });

  it('completes each transfer when its own last burst does: a group never spans two transfers', () => {
    const g = grouped(4);
    const c = new Completions();
    g.ic.transfer(g.m, DRAM_BASE, 256, true, c, 1);
    g.ic.transfer(g.m, DRAM_BASE + 4096, 256, true, c, 2);
    g.sim.run();
    expect(c.ends.size).toBe(2);
    expect(c.ends.get(1)!).toBeLessThanOrEqual(c.ends.get(2)!);
    // One arbitration event, then one group (2 bursts) per transfer.
    expect(g.ic.events).toBe(1 + 2);
  });

  it('shares fairly per group: two equal grouped streams finish within 3% of each other', () => {
    const { sim, map, dram } = machine();
    const ic = new Interconnect(sim, map, dram, BUS);
    const cs = [new Completions(), new Completions()];
    for (let i = 0; i < 2; i++) {
      const m = ic.addMaster({ name: `dma${i}`, ...DMA, burstGroup: 4 });
      ic.transfer(m, DRAM_BASE + i * (64 * MiB + 32 * 1024), MiB, false, cs[i]!, i);
    }
    sim.run();
    const [a, b] = cs.map((c) => c.last) as [number, number];
    expect(Math.abs(a - b) / Math.max(a, b)).toBeLessThan(0.03);
  });

  it('rejects a burstGroup outside 1..MAX_BURST_GROUP', () => {
    const { ic } = machine();
    expect(() => ic.addMaster({ name: 'x', ...DMA, burstGroup: 0 })).toThrow(/burstGroup must be 1\.\.64, got 0/);
    expect(() => ic.addMaster({ name: 'y', ...DMA, burstGroup: 65 })).toThrow(/burstGroup must be 1\.\.64/);
  });
  it('reserves a streaming group as one run with the same times and statistics as burst by burst', () => {
    // Reference: a DRAM that serves each run as one request per burst (the definition of a run).
    class PerBurstDram extends DramTiming {
      override serviceBursts(addr: number, bytes: number, isWrite: boolean, arrive: Ps, burstBytes: number, stepPs: Ps): Ps {
        let end = arrive;
        for (let off = 0, i = 0; off < bytes; off += burstBytes, i++) {
          const n = Math.min(burstBytes, bytes - off);
          end = Math.max(end, super.serviceBursts(addr + off, n, isWrite, arrive + i * stepPs, n, 0));
        }
        return end;
      }
    }
    // Reference: an interconnect that reserves each burst of a run on its own (as groups did before runs).
    class PerBurstInterconnect extends Interconnect {
      protected override reserveRun(m: number, addr: number, bytes: number, bursts: number, burstBytes: number, isWrite: boolean): void {
        const region = this.map.resolve(addr, bytes, 'reference', isWrite ? 'write' : 'read');
        let end = 0;
        for (let off = 0; off < bytes; off += burstBytes) {
          this.reserve(m, region, addr + off, Math.min(burstBytes, bytes - off), isWrite);
          end = Math.max(end, this.times[T_END]!);
        }
        this.times[T_END] = end;
      }
    }
    const run = (dram: DramTiming, perBurstBus = false) => {
      const { sim, map } = machine(dram);
      const ic = perBurstBus ? new PerBurstInterconnect(sim, map, dram, BUS) : new Interconnect(sim, map, dram, BUS);
      const fimc = ic.addMaster({ name: 'fimc', widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 8, burstGroup: 4 });
      const wide = ic.addMaster({ name: 'g2d', widthBytes: 16, maxBurstBeats: 16, maxOutstanding: 4, burstGroup: 3 });
      const cpu = ic.addMaster({ name: 'cpu', widthBytes: 8, maxBurstBeats: 4, maxOutstanding: 8 });
      const c = new Completions();
      const ends: number[] = [];
      // Line groups (aligned, with a short tail), an unaligned transfer, reads and writes, CPU line fills
      // arriving between groups, all long enough to cross refreshes and DRAM rows.
      for (let i = 0; i < 12; i++) {
        sim.schedule(i * 7_000_000, () => {
          ic.transfer(fimc, DRAM_BASE + i * 61_440, 61_440 - (i % 3) * 32, true, c, i);
          ic.transfer(wide, DRAM_BASE + 64 * MiB + i * 40_000 + (i % 2) * 8, 20_000, i % 2 === 0, c, 100 + i);
        });
        for (let k = 0; k < 40; k++) {
          sim.schedule(i * 7_000_000 + k * 150_000, () => ends.push(ic.access(cpu, DRAM_BASE + 128 * MiB + (i * 40 + k) * 4096, 32, k % 5 === 0, sim.now)));
        }
      }
      sim.run();
      return { ends: [...c.ends.entries()].sort((a, b) => a[0] - b[0]), cpu: ends, report: ic.report(), now: sim.now };
    };
    const fast = run(new DramTiming(lpddr2_800_2x32));
    const reference = run(new PerBurstDram(lpddr2_800_2x32), true);
    expect(fast.ends).toHaveLength(24);
    expect(fast).toEqual(reference);
    expect(run(new DramTiming(lpddr2_800_2x32), true)).toEqual(reference);
  });
});
