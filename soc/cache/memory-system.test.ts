import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createSoc } from '../soc.ts';
import { exynos4210, exynos4412 } from '../presets/index.ts';
import type { Preset } from '../presets/index.ts';

const MiB = 1024 * 1024;
const BASE = 0x4000_0000 + 8 * MiB;

function bytes(n: number, v: number): Uint8Array {
  return new Uint8Array(n).fill(v);
}

function machine(preset: string | Preset = 'exynos4412', seed = 1) {
  const soc = createSoc(preset, { seed });
  return { soc, ms: soc.memory };
}

function read(ms: ReturnType<typeof machine>['ms'], core: number, pa: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  ms.cpuRead(core, pa, out, 0, len);
  return out;
}

function dram(ms: ReturnType<typeof machine>['ms'], pa: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  ms.peekDram(pa, out, 0, len);
  return out;
}

describe('non-coherent DMA (mode none)', () => {
  it('a CPU read of a cached line after a device write returns the old bytes, and the new ones after invalidate', () => {
    const { ms } = machine();
    ms.cpuWrite(0, BASE, bytes(64, 0x11), 0, 64);
    ms.dmaPageCpuToDev(0, BASE, 64, 'TO_DEVICE'); // clean: DRAM holds 0x11, the lines stay cached
    ms.deviceWrite('none', BASE, bytes(64, 0x22), 0, 64);
    expect(read(ms, 0, BASE, 64)).toEqual(bytes(64, 0x11));
    ms.dmaPageDevToCpu(0, BASE, 64, 'FROM_DEVICE');
    expect(read(ms, 0, BASE, 64)).toEqual(bytes(64, 0x22));
  });

  it('a dirty line evicted after a device write overwrites the device data in DRAM', () => {
    const { ms } = machine();
    ms.cpuWrite(1, BASE, bytes(32, 0xaa), 0, 32);
    ms.deviceWrite('none', BASE, bytes(32, 0x55), 0, 32);
    expect(dram(ms, BASE, 32)).toEqual(bytes(32, 0x55));
    ms.evict(BASE, 32);
    expect(dram(ms, BASE, 32)).toEqual(bytes(32, 0xaa));
  });

  it('invalidating a partial edge line cleans it first, so CPU data sharing the line survives', () => {
    const { ms } = machine();
    // CPU owns bytes 0..7 of the line; the DMA buffer starts at +8 (misaligned).
    ms.cpuWrite(0, BASE, bytes(8, 0x77), 0, 8);
    ms.dmaPageCpuToDev(0, BASE + 8, 56, 'FROM_DEVICE');
    expect(dram(ms, BASE, 8)).toEqual(bytes(8, 0x77));
    ms.deviceWrite('none', BASE + 8, bytes(56, 0x33), 0, 56);
    ms.dmaPageDevToCpu(0, BASE + 8, 56, 'FROM_DEVICE');
    const seen = read(ms, 0, BASE, 64);
    expect(seen.subarray(0, 8)).toEqual(bytes(8, 0x77));
    expect(seen.subarray(8)).toEqual(bytes(56, 0x33));
  });

  it('a plain invalidate of a dirty line loses the CPU data (why the edges are cleaned)', () => {
    const { ms } = machine();
    ms.cpuWrite(0, BASE, bytes(32, 0x99), 0, 32);
    ms.outerInvRange(BASE, 32); // L2 does not hold the line yet
    ms.l1InvRange(0, BASE, 32); // aligned: a plain invalidate
    expect(read(ms, 0, BASE, 32)).toEqual(bytes(32, 0));
  });
});

describe('io-coherent masters', () => {
  for (const mode of ['acp', 'ace-lite'] as const) {
    it(`${mode}: device reads see dirty CPU data and CPU reads see device writes, partial lines kept`, () => {
      const { ms } = machine('arm64-64b');
      ms.cpuWrite(2, BASE, bytes(128, 0x41), 0, 128);
      const got = new Uint8Array(128);
      ms.deviceRead(mode, BASE, got, 0, 128);
      expect(got).toEqual(bytes(128, 0x41));
      ms.deviceWrite(mode, BASE + 16, bytes(100, 0x42), 0, 100);
      const seen = read(ms, 0, BASE, 128);
      expect(seen.subarray(0, 16)).toEqual(bytes(16, 0x41));
      expect(seen.subarray(16, 116)).toEqual(bytes(100, 0x42));
      expect(seen.subarray(116)).toEqual(bytes(12, 0x41));
      // Nothing stale left behind: evicting everything keeps the merged data.
      ms.evict(BASE, 128);
      expect(dram(ms, BASE, 128)).toEqual(seen);
    });
  }

  it('mode none never touches cache state', () => {
    const { ms } = machine();
    ms.cpuRead(0, BASE, new Uint8Array(32), 0, 32);
    const before = ms.lineState(BASE);
    ms.deviceWrite('none', BASE, bytes(32, 1), 0, 32);
    ms.deviceRead('none', BASE, new Uint8Array(32), 0, 32);
    expect(ms.lineState(BASE)).toEqual(before);
  });
});

describe('MESI between L1s', () => {
  it('moves a modified line between cores and invalidates other copies on a write', () => {
    const { ms } = machine();
    ms.cpuWrite(0, BASE, bytes(4, 9), 0, 4);
    expect(ms.lineState(BASE).l1).toEqual(['M', 'I', 'I', 'I']);
    expect(read(ms, 1, BASE, 4)).toEqual(bytes(4, 9));
    expect(ms.lineState(BASE)).toEqual({ l1: ['S', 'S', 'I', 'I'], l2: 'dirty' });
    ms.cpuWrite(1, BASE, bytes(4, 10), 0, 4);
    expect(ms.lineState(BASE).l1).toEqual(['I', 'M', 'I', 'I']);
    expect(read(ms, 3, BASE, 4)).toEqual(bytes(4, 10));
    expect(ms.stats.scuTransfers).toBe(2);
  });

  it('a lone reader gets the line Exclusive and writes it without SCU traffic', () => {
    const { ms } = machine();
    read(ms, 2, BASE, 4);
    expect(ms.lineState(BASE).l1[2]).toBe('E');
    const inv = ms.stats.scuInvalidations;
    ms.cpuWrite(2, BASE, bytes(4, 1), 0, 4);
    expect(ms.lineState(BASE).l1[2]).toBe('M');
    expect(ms.stats.scuInvalidations).toBe(inv);
  });

  it('L1 maintenance by MVA is broadcast: a clean from core 0 writes back core 3\'s dirty line', () => {
    const { ms } = machine();
    ms.cpuWrite(3, BASE, bytes(32, 0x5a), 0, 32);
    ms.dmaPageCpuToDev(0, BASE, 32, 'TO_DEVICE');
    expect(dram(ms, BASE, 32)).toEqual(bytes(32, 0x5a));
  });
});

describe('maintenance costs', () => {
  it('charges one L1 op per line whether cached or not (1 MiB = 32768 ops)', () => {
    const { ms, soc } = machine();
    const before = ms.stats.maintOps;
    const c = ms.l1CleanRange(0, BASE, MiB);
    expect(ms.stats.maintOps - before).toBe(32768);
    const p = soc.preset.l1Maintenance;
    expect(c).toBe(32768 * p.lineOpCycles + p.barrierCycles);
  });

  it('switches PL310 clean and flush to by-way at the cache size, never invalidate', () => {
    const { ms, soc } = machine();
    const l2 = soc.preset.l2;
    const perLine = ms.outerCleanRange(BASE, MiB - 32);
    expect(ms.l2.stats.wayOps).toBe(0);
    expect(perLine).toBeGreaterThanOrEqual(32767 * l2.lineOpCycles);
    const byWay = ms.outerCleanRange(BASE, MiB);
    expect(ms.l2.stats.wayOps).toBe(1);
    expect(byWay).toBeLessThan(perLine / 10);
    ms.outerFlushRange(BASE, 2 * MiB);
    expect(ms.l2.stats.wayOps).toBe(2);
    ms.outerInvRange(BASE, 2 * MiB);
    expect(ms.l2.stats.wayOps).toBe(2);
  });

  it('simulated cycles of a per-line op grow with the range while a by-way op does not', () => {
    const { ms } = machine();
    const a = ms.l1FlushRange(0, BASE, MiB);
    const b = ms.l1FlushRange(0, BASE, 8 * MiB);
    expect(b).toBeGreaterThan(7 * a);
    const big = ms.outerInvRange(BASE, 8 * MiB);
    const small = ms.outerInvRange(BASE, MiB);
    expect(big).toBeGreaterThan(7 * small);
  });

  it('walking the cache instead of the range gives the same state and cycles', () => {
    // Two machines with the same history; one cleans 2 MiB per line-walk-sized pieces, one in one call.
    const run = (pieces: number) => {
      const { ms } = machine({ ...exynos4412, l2: { ...exynos4412.l2, wayOpThresholdBytes: Infinity } }, 7);
      for (let i = 0; i < 4096; i++) ms.cpuWrite(i % 4, BASE + i * 512, bytes(8, i & 0xff), 0, 8);
      let cycles = 0;
      const step = (2 * MiB) / pieces;
      for (let k = 0; k < pieces; k++) cycles += ms.l1CleanRange(0, BASE + k * step, step) - exynos4412.l1Maintenance.barrierCycles;
      return { cycles, dram: dram(ms, BASE, 2 * MiB), l2dirty: ms.hasDirty(BASE, 2 * MiB) };
    };
    const whole = run(1);
    const split = run(256); // 8 KiB pieces: 256 lines, per-line lookups
    expect(whole.cycles).toBe(split.cycles);
    expect(Buffer.compare(whole.dram, split.dram)).toBe(0);
    expect(whole.l2dirty).toBe(split.l2dirty);
  });
});

describe('PL310 errata', () => {
  const r1p0 = (workaround: boolean): Preset => ({
    ...exynos4412,
    l2: { ...exynos4412.l2, revision: 'r1p0', errata: { e588369: true, e727915: false }, workaround588369: workaround },
  });

  it('588369: clean+invalidate by PA leaves clean lines valid unless worked around', () => {
    for (const workaround of [false, true]) {
      const { ms } = machine(r1p0(workaround));
      read(ms, 0, BASE, 32); // fills L1 and L2 (clean)
      ms.cpuWrite(0, BASE + 32, bytes(32, 3), 0, 32);
      ms.l1FlushRange(0, BASE, 64); // dirty line goes to L2
      ms.outerFlushRange(BASE, 64);
      expect(ms.lineState(BASE).l2).toBe(workaround ? 'absent' : 'clean');
      expect(ms.lineState(BASE + 32).l2).toBe('absent');
      expect(dram(ms, BASE + 32, 32)).toEqual(bytes(32, 3));
    }
  });

  const race = (preset: Preset) => {
    const { ms, soc } = machine(preset);
    read(ms, 0, BASE, 32); // line valid in L2 when the flush begins
    ms.cpuWrite(0, BASE, bytes(32, 0xee), 0, 32);
    const flush = ms.outerFlushRange(0x4000_0000, MiB, 1); // core 1: background flush-all by way
    soc.cores[1]!.exec(flush);
    soc.cores[0]!.exec(500); // core 0 is now inside the window
    ms.l1CleanRange(0, BASE, 32); // its write-back reaches L2 during the background op
    ms.evict(BASE, 32);
    return { dram: dram(ms, BASE, 32), lost: ms.l2.stats.lostStores };
  };

  it('727915: a store hitting a line during a background clean+invalidate by way is lost', () => {
    const r3p0 = { ...exynos4210, l2: { ...exynos4210.l2, workaround727915: 'none' as const } };
    expect(race(r3p0)).toEqual({ dram: bytes(32, 0), lost: 1 });
  });

  it('727915: the DEBUG_CTRL workaround and a fixed revision keep the store', () => {
    expect(race(exynos4210)).toEqual({ dram: bytes(32, 0xee), lost: 0 }); // preset default: debug-ctrl
    expect(race({ ...exynos4210, l2: { ...exynos4210.l2, workaround727915: 'index-walk' } })).toEqual({ dram: bytes(32, 0xee), lost: 0 });
    expect(race(exynos4412)).toEqual({ dram: bytes(32, 0xee), lost: 0 }); // r3p2
  });
});

describe('memory types', () => {
  it('write-combine stores stay in the buffer until wmb (or another line) drains them', () => {
    const { ms } = machine();
    ms.cpuWrite(0, BASE, bytes(8, 0x61), 0, 8, 'write-combine');
    expect(dram(ms, BASE, 8)).toEqual(bytes(8, 0));
    expect(ms.pendingWriteCombine(0)).toBe(8);
    ms.wmb(0);
    expect(dram(ms, BASE, 8)).toEqual(bytes(8, 0x61));
    ms.cpuWrite(0, BASE + 64, bytes(4, 0x62), 0, 4, 'write-combine');
    ms.cpuWrite(0, BASE + 128, bytes(4, 0x63), 0, 4, 'write-combine');
    expect(dram(ms, BASE + 64, 4)).toEqual(bytes(4, 0x62));
    expect(dram(ms, BASE + 128, 4)).toEqual(bytes(4, 0));
    // A full line drains at once.
    ms.cpuWrite(0, BASE + 256, bytes(32, 0x64), 0, 32, 'write-combine');
    expect(dram(ms, BASE + 256, 32)).toEqual(bytes(32, 0x64));
  });

  it('uncached and device accesses bypass the caches and cost more than cached hits', () => {
    const { ms } = machine();
    ms.cpuWrite(0, BASE, bytes(32, 1), 0, 32, 'normal-nc');
    expect(dram(ms, BASE, 32)).toEqual(bytes(32, 1));
    expect(ms.lineState(BASE).l1[0]).toBe('I');
    const nc = ms.cpuRead(0, BASE, new Uint8Array(32), 0, 32, 'normal-nc');
    ms.cpuRead(0, BASE, new Uint8Array(32), 0, 32);
    const hit = ms.cpuRead(0, BASE, new Uint8Array(32), 0, 32);
    const dev = ms.cpuRead(0, BASE, new Uint8Array(32), 0, 32, 'device');
    expect(nc).toBeGreaterThan(10 * hit);
    expect(dev).toBeGreaterThan(nc);
  });

  it('memset, memcpy and checksum go through the caches', () => {
    const { ms } = machine();
    ms.cpuFill(0, BASE, 4096, 0x12);
    ms.cpuCopy(1, BASE + 8192, BASE, 4096);
    ms.cpuChecksum(2, BASE + 8192, 4096);
    expect(ms.lastChecksum).toBe((1024 * 0x12121212) >>> 0);
  });
});

describe('memory attributes', () => {
  it('detects a linear-map page also mapped non-cacheable, and not once it is removed from the linear map', () => {
    const { ms } = machine();
    const attrs = ms.attributes;
    const id = attrs.addMapping(BASE, 8192, 'normal-nc', 'dma-coherent');
    expect(attrs.aliasConflicts(BASE, 8192).map((c) => c.page)).toEqual([BASE, BASE + 4096]);
    attrs.setLinearMapped(BASE, 8192, false);
    expect(attrs.aliasConflicts(BASE, 8192)).toEqual([]);
    attrs.addMapping(BASE + 4096, 4096, 'normal-wb', 'vmap');
    expect(attrs.aliasConflicts(BASE, 8192).map((c) => c.page)).toEqual([BASE + 4096]);
    attrs.removeMapping(id);
    expect(attrs.aliasConflicts(BASE, 8192)).toEqual([]);
  });
});

describe('speculation, prefetch and history', () => {
  it('prefetch fills a line that a later non-coherent device write makes stale, and the history says so', () => {
    const { ms, soc } = machine();
    ms.prefetch(0, BASE, 32);
    ms.deviceWrite('none', BASE, bytes(32, 7), 0, 32);
    expect(read(ms, 0, BASE, 32)).toEqual(bytes(32, 0));
    expect(ms.history.query(BASE).map((e) => e.kind)).toContain('speculativeFill');
    void soc;
  });

  it('the seeded engine fills lines near recent accesses while the simulation runs', () => {
    const { ms, soc } = machine('exynos4412', 3);
    const spec = createSoc('exynos4412', { seed: 3, speculation: { meanIntervalNs: 100, windowBytes: 1024 } });
    spec.memory.cpuRead(0, BASE, new Uint8Array(4), 0, 4);
    spec.sim.run(10_000_000);
    expect(spec.speculation.fills).toBeGreaterThan(10);
    expect(spec.memory.stats.speculativeFills).toBeGreaterThan(0);
    void ms;
    void soc;
  });
});

describe('determinism', () => {
  it('same seed, same cycles and data', () => {
    const run = (seed: number) => {
      const { ms, soc } = machine('exynos4412', seed);
      let cycles = 0;
      for (let i = 0; i < 2000; i++) {
        const core = i % 4;
        const pa = BASE + ((i * 7919) % 4096) * 64;
        cycles += ms.cpuWrite(core, pa, bytes(16, i & 0xff), 0, 16);
        soc.cores[core]!.exec(cycles % 1000);
      }
      cycles += ms.dmaPageCpuToDev(0, BASE, 2 * MiB, 'BIDIRECTIONAL');
      return { cycles, sum: (ms.cpuChecksum(0, BASE, 256 * 1024), ms.lastChecksum) };
    };
    expect(run(5)).toEqual(run(5));
  });
});

describe('coherency property', () => {
  const REGION = 512; // 16 lines of 32 B: small so lines collide across cores and the device
  type Op =
    | { k: 'cw'; core: number; off: number; len: number; v: number }
    | { k: 'cr'; core: number; off: number; len: number }
    | { k: 'dw'; off: number; len: number; v: number }
    | { k: 'dr'; off: number; len: number }
    | { k: 'pf'; core: number; off: number }
    | { k: 'ev'; off: number };
  const range = fc.integer({ min: 0, max: REGION - 1 }).chain((off) => fc.record({ off: fc.constant(off), len: fc.integer({ min: 1, max: REGION - off }) }));
  const cpuOp = fc.oneof(
    fc.record({ k: fc.constant('cw' as const), core: fc.integer({ min: 0, max: 3 }), r: range, v: fc.integer({ min: 1, max: 255 }) }).map(({ k, core, r, v }) => ({ k, core, ...r, v })),
    fc.record({ k: fc.constant('cr' as const), core: fc.integer({ min: 0, max: 3 }), r: range }).map(({ k, core, r }) => ({ k, core, ...r })),
    fc.record({ k: fc.constant('ev' as const), off: fc.integer({ min: 0, max: REGION - 1 }) }),
  );
  const devOp = fc.oneof(
    fc.record({ k: fc.constant('dw' as const), r: range, v: fc.integer({ min: 1, max: 255 }) }).map(({ k, r, v }) => ({ k, ...r, v })),
    fc.record({ k: fc.constant('dr' as const), r: range }).map(({ k, r }) => ({ k, ...r })),
    // The CPU may speculatively fill any line while the device owns the buffer.
    fc.record({ k: fc.constant('pf' as const), core: fc.integer({ min: 0, max: 3 }), off: fc.integer({ min: 0, max: REGION - 1 }) }),
    fc.record({ k: fc.constant('ev' as const), off: fc.integer({ min: 0, max: REGION - 1 }) }),
  );
  const phases = fc.array(fc.tuple(fc.array(cpuOp, { maxLength: 8 }), fc.array(devOp, { maxLength: 8 }), fc.integer({ min: 0, max: 3 })), {
    minLength: 1,
    maxLength: 5,
  });

  for (const mode of ['none', 'acp', 'ace-lite'] as const) {
    it(`${mode}: correct maintenance makes every interleaving equal to an ideal coherent memory`, () => {
      fc.assert(
        fc.property(phases, fc.integer({ min: 1, max: 1000 }), (ph, seed) => {
          const { ms } = machine(mode === 'ace-lite' ? 'arm64-64b' : 'exynos4412', seed);
          const ideal = new Uint8Array(REGION);
          const buf = new Uint8Array(REGION);
          for (const [cpuOps, devOps, core] of ph) {
            for (const op of cpuOps) {
              if (op.k === 'cw') {
                ms.cpuWrite(op.core, BASE + op.off, bytes(op.len, op.v), 0, op.len);
                ideal.fill(op.v, op.off, op.off + op.len);
              } else if (op.k === 'cr') {
                ms.cpuRead(op.core, BASE + op.off, buf, 0, op.len);
                if (!buf.subarray(0, op.len).every((b, i) => b === ideal[op.off + i])) return false;
              } else if (op.k === 'ev') ms.evict(BASE + op.off, 1);
            }
            // Hand the buffer to the device: dma_map_single(BIDIRECTIONAL) on a non-coherent master.
            if (mode === 'none') ms.dmaPageCpuToDev(core, BASE, REGION, 'BIDIRECTIONAL');
            for (const op of devOps) {
              if (op.k === 'dw') {
                ms.deviceWrite(mode, BASE + op.off, bytes(op.len, op.v), 0, op.len);
                ideal.fill(op.v, op.off, op.off + op.len);
              } else if (op.k === 'dr') {
                ms.deviceRead(mode, BASE + op.off, buf, 0, op.len);
                if (!buf.subarray(0, op.len).every((b, i) => b === ideal[op.off + i])) return false;
              } else if (op.k === 'pf') ms.prefetch(op.core, BASE + op.off, 1);
              else ms.evict(BASE + op.off, 1);
            }
            if (mode === 'none') ms.dmaPageDevToCpu(core, BASE, REGION, 'BIDIRECTIONAL');
          }
          ms.cpuRead(0, BASE, buf, 0, REGION);
          return buf.every((b, i) => b === ideal[i]);
        }),
        { numRuns: 150, seed: 42 },
      );
    });
  }
});

describe('variants', () => {
  it('arm64-64b: by-VA maintenance reaches the L2 (to the PoC) with 64-byte lines', () => {
    const { ms } = machine('arm64-64b');
    ms.cpuWrite(0, BASE, bytes(64, 0x31), 0, 64);
    ms.evict(BASE, 1); // dirty line now in L2 only
    ms.cpuRead(1, BASE, new Uint8Array(64), 0, 64);
    ms.cpuWrite(1, BASE, bytes(64, 0x32), 0, 64);
    ms.dmaMapArea(0, BASE, 64, 'TO_DEVICE');
    expect(dram(ms, BASE, 64)).toEqual(bytes(64, 0x32));
    expect(ms.hasDirty(BASE, 64)).toBe(false);
  });

  it("the 2011 v7_dma_inv_range re-invalidates the first edge line: one more op", () => {
    const modern = machine().ms;
    const old = machine({ ...exynos4412, l1Maintenance: { ...exynos4412.l1Maintenance, invRangeStyle: '2011' } }).ms;
    modern.l1InvRange(0, BASE + 8, 100);
    old.l1InvRange(0, BASE + 8, 100);
    expect(old.stats.maintOps - modern.stats.maintOps).toBe(1);
  });

  it('rejects bad arguments with a message naming the call', () => {
    const { ms } = machine();
    expect(() => ms.cpuRead(9, BASE, new Uint8Array(4), 0, 4)).toThrow(/cpuRead: core 9 does not exist/);
    expect(() => ms.cpuWrite(0, BASE, new Uint8Array(4), 2, 4)).toThrow(/cpuWrite: buffer range/);
    expect(() => ms.dmaMapArea(0, BASE, 4, 7 as never)).toThrow(/dmaMapArea: expected a DMA direction/);
    expect(() => ms.deviceRead('snoopy' as never, BASE, new Uint8Array(4), 0, 4)).toThrow(/unknown coherency mode/);
  });
});

describe('set/way operations', () => {
  it('PL310 clean / clean+invalidate by index act on exactly that set and way', () => {
    const { ms } = machine();
    ms.cpuWrite(0, BASE, bytes(32, 0x44), 0, 32);
    ms.l1FlushAll(0); // local set/way flush: the dirty line moves to L2
    expect(ms.lineState(BASE)).toEqual({ l1: ['I', 'I', 'I', 'I'], l2: 'dirty' });
    const slot = ms.l2.peek(BASE);
    const set = slot % ms.l2.cache.sets;
    const way = (slot - set) / ms.l2.cache.sets;
    ms.outerCleanIndex(set, way);
    expect(ms.lineState(BASE).l2).toBe('clean');
    expect(dram(ms, BASE, 32)).toEqual(bytes(32, 0x44));
    ms.outerCleanInvIndex(set, way);
    expect(ms.lineState(BASE).l2).toBe('absent');
    expect(() => ms.outerCleanIndex(ms.l2.cache.sets, 0)).toThrow(/out of range/);
  });

  it('reports counters of both levels', () => {
    const { ms } = machine();
    ms.cpuRead(0, BASE, new Uint8Array(64), 0, 64);
    const r = ms.report();
    expect(r.l1.misses).toBe(2);
    expect(r.l2.misses).toBe(2);
    expect(r.l1ValidLines[0]).toBe(2);
  });

  it('device-type CPU accesses reach MMIO registers through the address map', () => {
    const { ms, soc } = machine();
    const pdma = soc.preset.mmio.pdma0!.base;
    const word = new Uint8Array([1, 2, 3, 4]);
    const cycles = ms.cpuWrite(0, pdma + 0x20, word, 0, 4, 'device');
    expect(cycles).toBeGreaterThan(0);
    const back = new Uint8Array(4);
    ms.cpuRead(0, pdma + 0x20, back, 0, 4, 'device');
    expect(back).toEqual(word);
  });
});

describe('per-L1 valid line counts (skip empty L1s in snoops and walks)', () => {
  it('stay equal to the valid lines of every L1 through fills, snoops, maintenance, device writes and evictions', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('read'), core: fc.nat(3), off: fc.nat(511), len: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ k: fc.constant('write'), core: fc.nat(3), off: fc.nat(511), len: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ k: fc.constant('inv'), core: fc.nat(3), off: fc.nat(511), len: fc.integer({ min: 1, max: 12000 }) }),
      fc.record({ k: fc.constant('flushAll'), core: fc.nat(3), off: fc.constant(0), len: fc.constant(0) }),
      fc.record({ k: fc.constant('dev'), core: fc.constant(0), off: fc.nat(511), len: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ k: fc.constant('evict'), core: fc.constant(0), off: fc.nat(511), len: fc.integer({ min: 1, max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const { ms } = machine();
        const buf = new Uint8Array(300).fill(0x5a);
        for (const o of ops) {
          const pa = BASE + o.off;
          if (o.k === 'read') ms.cpuRead(o.core, pa, new Uint8Array(o.len), 0, o.len);
          else if (o.k === 'write') ms.cpuWrite(o.core, pa, buf, 0, o.len);
          else if (o.k === 'inv') ms.l1FlushRange(o.core, pa, o.len);
          else if (o.k === 'flushAll') ms.l1FlushAll(o.core);
          else if (o.k === 'dev') ms.deviceWrite('acp', pa, buf, 0, o.len);
          else ms.evict(pa, o.len);
          for (let c = 0; c < ms.l1d.length; c++) expect(ms.l1ValidLines(c)).toBe(ms.l1d[c]!.validLines());
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('loads inside one line', () => {
  /** Records every observer call in order, per-byte versions spelled out, uniform ones as one number. */
  class CallLog {
    readonly calls: string[] = [];
    private next = 1;
    constructor(uniform: boolean) {
      if (uniform) {
        Object.assign(this, {
          cpuReadUniform: (c: number, pa: number, len: number, v: number) => this.calls.push(`ru ${c} ${pa}+${len} ${v}`),
          deviceReadUniform: (m: string, pa: number, len: number, v: number) => this.calls.push(`du ${m} ${pa}+${len} ${v}`),
        });
      }
    }
    cpuWriteVersion(): number {
      return this.next++;
    }
    deviceWriteVersion(): number {
      return this.next++;
    }
    cpuCopied(): void {}
    cpuRead(c: number, pa: number, len: number, v: Uint32Array, off: number): void {
      this.calls.push(`r ${c} ${pa}+${len} ${[...v.subarray(off, off + len)].join(',')}`);
    }
    deviceRead(m: string, pa: number, len: number, v: Uint32Array, off: number): void {
      this.calls.push(`d ${m} ${pa}+${len} ${[...v.subarray(off, off + len)].join(',')}`);
    }
    writeBack(la: number, len: number, inc: Uint32Array, inOff: number): void {
      this.calls.push(`wb ${la} ${[...inc.subarray(inOff, inOff + len)].join(',')}`);
    }
    discardDirty(la: number): void {
      this.calls.push(`dd ${la}`);
    }
  }

  it('take their short path with the bytes, cycles, state, history and observer calls of the general loop', () => {
    const op = fc.record({
      kind: fc.constantFrom('load', 'store', 'device', 'inv'),
      core: fc.integer({ min: 0, max: 3 }),
      off: fc.integer({ min: 0, max: 96 * 1024 }),
      len: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), fc.boolean(), (ops, uniform) => {
        const run = (inLine: boolean) => {
          const { soc, ms } = machine('exynos4412', 5);
          ms.inLineLoads = inLine;
          const log = new CallLog(uniform);
          ms.attachObserver(log);
          const out: string[] = [];
          for (const o of ops) {
            const pa = BASE + o.off;
            if (o.kind === 'load') {
              const dst = new Uint8Array(o.len);
              out.push(`${ms.cpuRead(o.core, pa, dst, 0, o.len)} ${dst.join(',')}`);
            } else if (o.kind === 'store') {
              ms.cpuWrite(o.core, pa, bytes(o.len, o.off & 0xff), 0, o.len);
            } else if (o.kind === 'device') {
              ms.deviceWrite('none', pa - (pa % 32), bytes(64 * o.len, o.len), 0, 64 * o.len);
            } else {
              ms.outerInvRange(pa - (pa % 32), 32 * o.len);
            }
          }
          const history = ops.map((o) => JSON.stringify(ms.history.query(BASE + o.off)));
          return { out, calls: log.calls, history, stats: JSON.stringify(ms.report()), now: soc.sim.now };
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 60 },
    );
  });
});

describe('deviceWriteFrom', () => {
  /** Bytes k of the source: a hash of k (words served too). */
  const source = {
    byte: (k: number) => (Math.imul(k + 3, 0x9e3779b1) >>> 24),
    bytesAt(off: number, dst: Uint8Array, dstOff: number, n: number): void {
      for (let k = 0; k < n; k++) dst[dstOff + k] = this.byte(off + k);
    },
    wordsAt(off: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
      for (let w = 0; w < nWords; w++) {
        const k = off + 4 * w;
        dst[dstWord + w] = this.byte(k) | (this.byte(k + 1) << 8) | (this.byte(k + 2) << 16) | (this.byte(k + 3) << 24);
      }
      return true;
    },
  };

  it('leaves memory, caches, stats and observer calls as deviceWrite of the same bytes does, in every mode', () => {
    fc.assert(
      fc.property(fc.constantFrom('none', 'acp', 'ace-lite'), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 0, max: 500 }), (mode, off, len, srcOff) => {
        const run = (fromSource: boolean) => {
          const { ms } = machine('arm64-64b', 2);
          const calls: string[] = [];
          let next = 1;
          ms.attachObserver({
            cpuWriteVersion: () => next++,
            deviceWriteVersion: (m, pa, n) => (calls.push(`dw ${m} ${pa}+${n}`), next++),
            cpuCopied: () => {},
            cpuRead: (c, pa, n, v, o) => void calls.push(`r ${c} ${pa}+${n} ${[...v.subarray(o, o + n)].join(',')}`),
            deviceRead: () => {},
            writeBack: (la) => void calls.push(`wb ${la}`),
            discardDirty: (la) => void calls.push(`dd ${la}`),
          });
          // Some of the range cached and dirty first, so the coherent modes have lines to deal with.
          ms.cpuWrite(1, BASE + off + 100, bytes(3000, 0x6b), 0, 3000);
          if (fromSource) {
            ms.deviceWriteFrom(mode, BASE + off, len, source, srcOff, 'cam');
          } else {
            const made = new Uint8Array(len);
            source.bytesAt(srcOff, made, 0, len);
            ms.deviceWrite(mode, BASE + off, made, 0, len, 'cam');
          }
          const seen = read(ms, 0, BASE + off - 64, len + 4200);
          ms.evict(BASE + off - 64, len + 4200);
          return { seen: [...seen], dram: [...dram(ms, BASE + off - 64, len + 4200)], calls, stats: JSON.stringify(ms.report()) };
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 40 },
    );
  });
});

describe('cpuReadStrided', () => {
  it('gives the bytes, cycles, core time and cache state of one cpuRead + exec per load', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 3 }), (count, len, stride, core) => {
        const run = (strided: boolean) => {
          const { soc, ms } = machine('exynos4412', 3);
          // Some lines cached (and dirty) beforehand, some not.
          ms.cpuWrite(core, BASE + 100, bytes(5000, 0x5a), 0, 5000);
          ms.deviceWrite('none', BASE + 6000, bytes(60_000, 0x33), 0, 60_000);
          const dst = new Uint8Array(count * len);
          let cycles = 0;
          if (strided) {
            cycles = ms.cpuReadStrided(core, BASE, stride, count, len, dst, 0);
          } else {
            for (let i = 0; i < count; i++) {
              const c = ms.cpuRead(core, BASE + i * stride, dst, i * len, len);
              cycles += c;
              if (c > 0) soc.cores[core]!.exec(Math.round(c));
            }
          }
          return { dst: [...dst], cycles, busyUntil: soc.cores[core]!.busyUntil, stats: JSON.stringify(ms.report()) };
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 40 },
    );
  });

  it('rejects a negative count or stride and a destination too small', () => {
    const { ms } = machine();
    expect(() => ms.cpuReadStrided(0, BASE, -1, 2, 8, new Uint8Array(16), 0)).toThrow(/count and stride/);
    expect(() => ms.cpuReadStrided(0, BASE, 64, 1.5, 8, new Uint8Array(16), 0)).toThrow(/count and stride/);
    expect(() => ms.cpuReadStrided(0, BASE, 64, 3, 8, new Uint8Array(16), 0)).toThrow(/exceeds/);
  });
});
