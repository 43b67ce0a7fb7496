import { describe, expect, it } from 'vitest';
import { Dram } from '../soc/memory/index.ts';
import { Iommu, IommuDataPort } from '../soc/iommu/index.ts';
import type { PageTableFormat } from '../soc/iommu/index.ts';
import { newCallCost, resetCallCost } from './cost.ts';
import { DmaMemory } from './memory.ts';
import { createIommuDmaOps, iommuViolationSink } from './iommu-dma.ts';
import type { IommuDmaConfig } from './iommu-dma.ts';
import { BitmapIovaAllocator, IovaDomain } from './iova.ts';
import { DMA_MAPPING_ERROR, DmaDirection } from './types.ts';
import type { DmaEnv, DmaParams } from './env.ts';
import type { DmaDebug } from './debug.ts';
import type { DmaPlatform, MemType } from './platform.ts';
import type { CoherencyMode, DeviceLike } from './types.ts';

const LINE = 32;
const BASE = 0x4000_0000;

/** A one-level write-back cache in front of DRAM: enough to make uncleaned data invisible to a non-coherent master. */
class CachedPlatform implements DmaPlatform {
  readonly lineSize = LINE;
  readonly dram = { base: BASE, size: 256 << 20 };
  readonly cores = 2;
  readonly mem = new Dram(BASE, 256 << 20);
  readonly lines = new Map<number, { data: Uint8Array; dirty: boolean }>();
  private line(a: number) {
    let l = this.lines.get(a);
    if (l === undefined) {
      l = { data: new Uint8Array(LINE), dirty: false };
      this.mem.read(a, l.data, 0, LINE);
      this.lines.set(a, l);
    }
    return l;
  }
  private each(pa: number, len: number, fn: (a: number) => void): number {
    let n = 0;
    for (let a = pa - (pa % LINE); a < pa + len; a += LINE, n++) fn(a);
    return n;
  }
  private clean(a: number): void {
    const l = this.lines.get(a);
    if (l?.dirty) {
      this.mem.write(a, l.data, 0, LINE);
      l.dirty = false;
    }
  }
  cpuRead(_c: number, pa: number, dst: Uint8Array, off: number, len: number, type: MemType = 'normal-wb'): number {
    if (type !== 'normal-wb') return this.mem.read(pa, dst, off, len), len;
    for (let i = 0; i < len; i++) dst[off + i] = this.line(pa + i - ((pa + i) % LINE)).data[(pa + i) % LINE]!;
    return len;
  }
  cpuWrite(_c: number, pa: number, src: Uint8Array, off: number, len: number, type: MemType = 'normal-wb'): number {
    if (type !== 'normal-wb') return this.mem.write(pa, src, off, len), len;
    for (let i = 0; i < len; i++) {
      const l = this.line(pa + i - ((pa + i) % LINE));
      l.data[(pa + i) % LINE] = src[off + i]!;
      l.dirty = true;
    }
    return len;
  }
  deviceRead(mode: CoherencyMode, pa: number, dst: Uint8Array, off: number, len: number): void {
    if (mode !== 'none') this.each(pa, len, (a) => this.clean(a));
    this.mem.read(pa, dst, off, len);
  }
  deviceWrite(_m: CoherencyMode, pa: number, src: Uint8Array, off: number, len: number): void {
    this.mem.write(pa, src, off, len);
  }
  dmaMapArea(_c: number, pa: number, len: number, dir: DmaDirection): number {
    return this.each(pa, len, (a) => (dir === DmaDirection.FROM_DEVICE ? (this.clean(a), this.lines.delete(a)) : this.clean(a)));
  }
  dmaUnmapArea(_c: number, pa: number, len: number, dir: DmaDirection): number {
    return dir === DmaDirection.TO_DEVICE ? 0 : this.each(pa, len, (a) => this.lines.delete(a));
  }
  l1FlushRange(_c: number, pa: number, len: number): number {
    return this.each(pa, len, (a) => (this.clean(a), this.lines.delete(a)));
  }
  outerInvRange(): number {
    return 0;
  }
  outerCleanRange(): number {
    return 0;
  }
  outerFlushRange(): number {
    return 0;
  }
  chargeCpu(): void {}
}

const PARAMS: DmaParams = {
  callOverheadCycles: 40, allocOverheadCycles: 2000, debugOverheadCycles: 60, pageSize: 4096, kmallocMinAlign: 64,
  archDmaMinAlign: 64, kmallocBounce: false, swiotlbForce: true, swiotlbBytes: 0, cmaBytes: 4 << 20, atomicPoolBytes: 0,
  consistentAreaBase: 0xffc0_0000, consistentAreaBytes: 2 << 20, dmabounceSmallBytes: 512, dmabounceLargeBytes: 4096,
};

function makeEnv(platform: CachedPlatform): DmaEnv & { logs: string[]; found: string[] } {
  const logs: string[] = [];
  const found: string[] = [];
  return {
    platform, params: PARAMS, memory: new DmaMemory(platform.dram, PARAMS), debug: {} as DmaDebug, stats: null, counters: null,
    cost: newCallCost(), core: 0, gfp: 0, refused: false, bounced: false, scratch: new Uint8Array(65536), logs, found,
    dmesg: (_d, t) => void logs.push(t),
    violation: (kind) => void found.push(kind),
  };
}

const CPU_CLOCK = { cyclesToPs: (c: number) => Math.floor((c * 1e12) / 1.4e9), psToCycles: (ps: number) => Math.floor((ps * 1.4e9) / 1e12) };
const dev: DeviceLike = { name: 'fimc0', driver: 'exynos4-fimc', dmaMask: 0xffff_ffff, coherency: 'none' };

function rig(format: PageTableFormat, mode: 'strict' | 'lazy', extra: Partial<IommuDmaConfig> = {}) {
  const platform = new CachedPlatform();
  const env = makeEnv(platform);
  let now = 0;
  const iommu = new Iommu({
    master: 'sysmmu-fimc0', format,
    walkMemory: { read: (pa, dst, off, len) => platform.deviceRead('none', pa, dst, off, len) },
    onViolation: iommuViolationSink((k) => void env.found.push(k)),
  });
  const ops = createIommuDmaOps(env, {
    mode, format, iommus: [iommu], iova: new IovaDomain({ cpus: 2 }), now: () => now, cpuClock: CPU_CLOCK, ...extra,
  });
  const port = new IommuDataPort(iommu, { read: (pa, d, o, l) => platform.deviceRead('none', pa, d, o, l), write: (pa, s, o, l) => platform.deviceWrite('none', pa, s, o, l) });
  const buf = env.memory.allocPages(1 << 20);
  return { platform, env, iommu, ops, port, buf, advance: (ps: number) => (now += ps), time: () => now };
}

const mode0 = 'strict' as const;
for (const format of ['sysmmu', 'lpae'] as const) {
  describe(`iommu-dma over ${format}`, () => {
    it('maps a CPU-written buffer at an IOVA the device reads correctly (maintenance done)', () => {
      const { platform, ops, port, buf } = rig(format, 'strict');
      platform.cpuWrite(0, buf + 100, Uint8Array.of(1, 2, 3, 4), 0, 4);
      const h = ops.mapPage(dev, buf + 100, 4, DmaDirection.TO_DEVICE, 0);
      expect(h).not.toBe(DMA_MAPPING_ERROR);
      expect(h).not.toBe(buf + 100);
      expect(h % 4096).toBe(100);
      expect(h).toBeGreaterThan(0xff00_0000); // top-down below the 32-bit mask
      const got = new Uint8Array(4);
      port.read(h, got, 0, 4, 0, 'fimc0');
      expect([...got]).toEqual([1, 2, 3, 4]);
    });

    it('strict: a device using the handle after unmap faults (iommu-fault), and the invalidation is charged', () => {
      const { env, ops, port, buf } = rig(format, 'strict');
      const h = ops.mapPage(dev, buf, 4096, DmaDirection.FROM_DEVICE, 0);
      port.write(h, new Uint8Array(16).fill(7), 0, 16, 0, 'fimc0');
      resetCallCost(env.cost);
      ops.unmapPage(dev, h, 4096, DmaDirection.FROM_DEVICE, 0);
      const strictCycles = ops.lastCall.cycles;
      expect(strictCycles).toBeGreaterThan(CPU_CLOCK.psToCycles(50_000));
      port.write(h, new Uint8Array(16).fill(9), 0, 16, 1_000_000, 'fimc0');
      expect(port.faultedBytes).toBe(16);
      expect(env.found).toEqual(['iommu-fault']);
    });

    it('lazy: the device succeeds through the stale IOTLB entry until the flush queue drains', () => {
      const { env, ops, port, buf, advance, time } = rig(format, 'lazy');
      const h = ops.mapPage(dev, buf, 4096, DmaDirection.FROM_DEVICE, 0);
      port.write(h, new Uint8Array(16).fill(7), 0, 16, 0, 'fimc0');
      ops.unmapPage(dev, h, 4096, DmaDirection.FROM_DEVICE, 0);
      expect(ops.pendingFlush()).toBe(1);
      port.write(h, new Uint8Array(16).fill(9), 0, 16, 1_000, 'fimc0');
      expect(port.faultedBytes).toBe(0);
      expect(env.found).toEqual(['stale-iotlb']);
      advance(10_000_000_000); // 10 ms: the timer is due; the next call runs it
      ops.mapPage(dev, buf + (64 << 10), 8192, DmaDirection.TO_DEVICE, 0); // another size class: not h
      expect(ops.counters.timerFlushes).toBe(1);
      expect(ops.pendingFlush()).toBe(0);
      port.write(h, new Uint8Array(16), 0, 16, time() + 10_000_000, 'fimc0');
      expect(port.faultedBytes).toBe(16);
      expect(env.found).toEqual(['stale-iotlb', 'iommu-fault']);
    });

    it('lazy: freed IOVAs are not reused before their flush', () => {
      const { ops, buf } = rig(format, 'lazy');
      const a = ops.mapPage(dev, buf, 4096, DmaDirection.TO_DEVICE, 0);
      ops.unmapPage(dev, a, 4096, DmaDirection.TO_DEVICE, 0);
      const b = ops.mapPage(dev, buf, 4096, DmaDirection.TO_DEVICE, 0);
      expect(b).not.toBe(a);
      ops.unmapPage(dev, b, 4096, DmaDirection.TO_DEVICE, 0);
      ops.flushQueue();
      const c = ops.mapPage(dev, buf, 4096, DmaDirection.TO_DEVICE, 0);
      expect([a, b]).toContain(c); // reused from the magazine once flushed
    });

    it('lazy: a full ring flushes synchronously in the caller', () => {
      const { ops, buf } = rig(format, 'lazy', { flushQueueSize: 2 });
      for (let i = 0; i < 3; i++) {
        const h = ops.mapPage(dev, buf + i * 4096, 4096, DmaDirection.TO_DEVICE, 0);
        ops.unmapPage(dev, h, 4096, DmaDirection.TO_DEVICE, 0);
      }
      expect(ops.counters.fullFlushes).toBe(1);
      expect(ops.pendingFlush()).toBe(1);
    });

    it('unmapping an unknown handle or a wrong size is logged, never thrown', () => {
      const { env, ops, buf } = rig(format, mode0);
      expect(() => ops.unmapPage(dev, 0x1234_5000, 4096, DmaDirection.TO_DEVICE, 0)).not.toThrow();
      const h = ops.mapPage(dev, buf, 65536, DmaDirection.TO_DEVICE, 0);
      expect(() => ops.unmapPage(dev, h, 4096, DmaDirection.TO_DEVICE, 0)).not.toThrow();
      expect(env.logs.length).toBeGreaterThanOrEqual(2);
      // SYSMMU: the 64 KiB large page cannot be split, it stays mapped; LPAE: the first 4 KiB page went.
      expect(ops.table.iovaToPhys(h)).toBe(format === 'sysmmu' ? buf : -1);
      expect(ops.table.iovaToPhys(h + 4096)).toBe(buf + 4096);
    });

    it('map_sg gives scattered pages one contiguous IOVA range', () => {
      const { platform, ops, port, buf } = rig(format, 'strict');
      const pages = [buf + 5 * 4096, buf + 2 * 4096, buf + 9 * 4096];
      pages.forEach((p, i) => platform.cpuWrite(0, p, new Uint8Array(4096).fill(i + 1), 0, 4096));
      const sg = pages.map((phys) => ({ phys, length: 4096, dmaAddress: 0, dmaLength: 0 }));
      const n = ops.mapSg!(dev, sg, DmaDirection.TO_DEVICE, 0);
      expect(n).toBe(1);
      expect(sg[0]!.dmaLength).toBe(3 * 4096);
      const all = new Uint8Array(3 * 4096);
      port.read(sg[0]!.dmaAddress, all, 0, all.length, 0, 'fimc0');
      expect([all[0], all[4096], all[8192]]).toEqual([1, 2, 3]);
      ops.unmapSg!(dev, sg, DmaDirection.TO_DEVICE, 0);
      expect(ops.table.iovaToPhys(sg[0]!.dmaAddress)).toBe(-1);
    });

    it('forgetting to clean the PTEs leaves a non-coherent walker faulting; the clean fixes it', () => {
      const bad = rig(format, 'strict', { forgetTableClean: true });
      const hb = bad.ops.mapPage(dev, bad.buf, 4096, DmaDirection.TO_DEVICE, 0);
      bad.port.read(hb, new Uint8Array(4), 0, 4, 0, 'fimc0');
      expect(bad.port.faultedBytes).toBe(4);
      expect(bad.env.found).toEqual(['iommu-fault']);
      const good = rig(format, 'strict', { walkerCoherent: false });
      const hg = good.ops.mapPage(dev, good.buf, 4096, DmaDirection.TO_DEVICE, 0);
      good.port.read(hg, new Uint8Array(4), 0, 4, 0, 'fimc0');
      expect(good.port.faultedBytes).toBe(0);
    });

    it('exposes the simulated cost of 4 KiB and 1 MiB map/unmap calls', () => {
      const { ops, buf } = rig(format, 'strict');
      const cost: Record<string, number> = {};
      for (const size of [4096, 1 << 20]) {
        const h = ops.mapPage(dev, buf, size, DmaDirection.BIDIRECTIONAL, 0);
        cost[`map${size}`] = ops.lastCall.ps;
        ops.unmapPage(dev, h, size, DmaDirection.BIDIRECTIONAL, 0);
        cost[`unmap${size}`] = ops.lastCall.ps;
      }
      for (const v of Object.values(cost)) expect(v).toBeGreaterThan(0);
      expect(cost['map1048576']).toBeGreaterThan(cost['map4096']!); // maintenance of 1 MiB dominates
    });
  });
}

describe('iommu-dma with the ARM bitmap allocator', () => {
  it('allocates bottom-up from the mapping base and reuses at once in strict mode', () => {
    const { ops, buf } = rig('sysmmu', 'strict', { iova: new BitmapIovaAllocator({ base: 0x2000_0000, size: 128 << 20 }) });
    const a = ops.mapPage(dev, buf, 4096, DmaDirection.TO_DEVICE, 0);
    expect(a).toBe(0x2000_0000);
    ops.unmapPage(dev, a, 4096, DmaDirection.TO_DEVICE, 0);
    expect(ops.mapPage(dev, buf, 4096, DmaDirection.TO_DEVICE, 0)).toBe(0x2000_0000);
  });
});

describe('iommu-strict / iommu-lazy registered with DmaSystem', () => {
  it('map_single through the public API, stale use reported into the system with the trace op index', async () => {
    const { DmaSystem } = await import('./system.ts');
    const { dma_map_single, dma_unmap_single } = await import('./mapping.ts');
    const { registerIommuStrategies } = await import('./iommu-dma.ts');
    const platform = new CachedPlatform();
    const sys = new DmaSystem({ platform, params: { cmaBytes: 4 << 20, swiotlbBytes: 0, atomicPoolBytes: 0 } });
    let now = 0;
    registerIommuStrategies(sys, { now: () => now, cpuClock: CPU_CLOCK });
    const iommu = new Iommu({ master: 'sysmmu-fimc0', format: 'sysmmu', walkMemory: { read: (pa, d, o, l) => platform.deviceRead('none', pa, d, o, l) } });
    const fimc = sys.addDevice({ name: 'fimc0', strategy: 'iommu-lazy', iommu: { iommu } });
    const port = new IommuDataPort(iommu, { read: (pa, d, o, l) => platform.deviceRead('none', pa, d, o, l), write: (pa, s, o, l) => platform.deviceWrite('none', pa, s, o, l) });
    const buf = sys.memory.allocPages(8192);
    const h = dma_map_single(fimc, buf, 8192, DmaDirection.FROM_DEVICE);
    expect(h).toBeGreaterThan(0xff00_0000);
    port.write(h, new Uint8Array(8192).fill(3), 0, 8192, 0, 'fimc0');
    dma_unmap_single(fimc, h, 8192, DmaDirection.FROM_DEVICE);
    sys.opIndex = 7;
    port.write(h, new Uint8Array(16), 0, 16, 1000, 'fimc0');
    const v = sys.violations.find((x) => x.kind === 'stale-iotlb');
    expect(v).toMatchObject({ kind: 'stale-iotlb', dev: 'fimc0', addr: h, op: 7 });
    now += 10_000_000_000;
    const other = sys.addDevice({ name: 'fimc1', strategy: 'iommu-strict', iommu: { iommu: new Iommu({ master: 'sysmmu-fimc1', format: 'lpae', walkMemory: platform.mem }) } });
    expect(dma_map_single(other, buf, 4096, DmaDirection.TO_DEVICE)).toBeGreaterThan(0);
    expect(sys.strategyNames()).toEqual(expect.arrayContaining(['iommu-strict', 'iommu-lazy']));
  });
});

describe('on the assembled exynos4412 SoC (real caches, interconnect and DRAM)', () => {
  async function soc(opts: { forgetTableClean?: boolean; mode?: 'strict' | 'lazy' } = {}) {
    const { createSoc } = await import('../soc/index.ts');
    const { interconnectWalkBus, walkMemoryOf, deviceDataPathOf } = await import('../soc/iommu/index.ts');
    const { platformFromSoc } = await import('./soc-platform.ts');
    const { DmaSystem } = await import('./system.ts');
    const { registerIommuStrategies } = await import('./iommu-dma.ts');
    const s = createSoc('exynos4412', { history: false });
    const sys = new DmaSystem({ platform: platformFromSoc(s), stats: s.sim.stats });
    registerIommuStrategies(sys, { now: () => s.sim.now, cpuClock: s.cpuClock, defaults: { forgetTableClean: opts.forgetTableClean ?? false } });
    const iommu = new Iommu({
      master: 'sysmmu-fimc0', format: 'sysmmu', stats: s.sim.stats,
      walkMemory: walkMemoryOf(s.memory, 'none'), bus: interconnectWalkBus(s.interconnect, 'sysmmu-fimc0'),
    });
    const fimc = sys.addDevice({ name: 'fimc0', strategy: `iommu-${opts.mode ?? 'strict'}`, iommu: { iommu } });
    const port = new IommuDataPort(iommu, deviceDataPathOf(s.memory, 'none'));
    return { s, sys, iommu, fimc, port };
  }

  it('walks are bus traffic of the IOMMU master; the CPU-written tables reach the walker through the clean', async () => {
    const { s, sys, fimc, port } = await soc();
    const { dma_map_single } = await import('./mapping.ts');
    const buf = sys.memory.allocPages(4096);
    s.memory.cpuWrite(0, buf, Uint8Array.of(9, 8, 7), 0, 3);
    const h = dma_map_single(fimc, buf, 4096, DmaDirection.TO_DEVICE);
    const got = new Uint8Array(3);
    port.read(h, got, 0, 3, s.sim.now, 'fimc0');
    expect([...got]).toEqual([9, 8, 7]);
    const st = s.sim.stats.toJSON();
    expect(st['bus.sysmmu-fimc0.bytes']).toBe(8);
    expect(st['iommu.sysmmu-fimc0.tlb_misses']).toBe(1);
  });

  it('forgetting the PTE clean with cacheable tables makes the non-coherent walker fault', async () => {
    const { sys, fimc, port, s } = await soc({ forgetTableClean: true });
    const { dma_map_single } = await import('./mapping.ts');
    const buf = sys.memory.allocPages(4096);
    const h = dma_map_single(fimc, buf, 4096, DmaDirection.TO_DEVICE);
    port.read(h, new Uint8Array(4), 0, 4, s.sim.now, 'fimc0');
    expect(port.faultedBytes).toBe(4);
    expect(sys.violations.map((v) => v.kind)).toContain('iommu-fault');
  });

  it('map/unmap latency of 4 KiB and 1 MiB in simulated time, strict vs lazy', async () => {
    const out: Record<string, number> = {};
    for (const mode of ['strict', 'lazy'] as const) {
      const { sys, fimc, s } = await soc({ mode });
      const ops = (fimc.ops as import('./iommu-dma.ts').IommuStrategyOps).domainOf(fimc);
      // Let the memory system drain what setup queued, so each call is measured on an idle bus.
      const idle = () => s.sim.run(s.sim.now + 1_000_000_000);
      for (const size of [4096, 1 << 20]) {
        const buf = sys.memory.allocPages(size);
        // Warm-up: the first 4 KiB map creates a second-level table.
        fimc.ops.unmapPage(fimc, fimc.ops.mapPage(fimc, buf, size, DmaDirection.BIDIRECTIONAL, DmaAttrSkip), size, DmaDirection.BIDIRECTIONAL, DmaAttrSkip);
        if (mode === 'lazy') ops.flushQueue();
        idle();
        const h = fimc.ops.mapPage(fimc, buf, size, DmaDirection.BIDIRECTIONAL, DmaAttrSkip);
        out[`${mode}.map.${size}`] = ops.lastCall.ps;
        idle();
        fimc.ops.unmapPage(fimc, h, size, DmaDirection.BIDIRECTIONAL, DmaAttrSkip);
        out[`${mode}.unmap.${size}`] = ops.lastCall.ps;
      }
    }
    if (process.env.IOMMU_PRINT) console.log(JSON.stringify(out));
    for (const v of Object.values(out)) expect(v).toBeGreaterThan(0);
    // A strict 1 MiB section unmap waits for 64 entry invalidations; lazy only queues it.
    expect(out['strict.unmap.1048576']).toBeGreaterThan(out['lazy.unmap.1048576']! + 60 * 50_000);
  });
});

const DmaAttrSkip = 1 << 5; // SKIP_CPU_SYNC: measure the IOMMU part alone
