// Shared set-up for the dma/ tests: a real SoC (exynos4412 by default) with its DMA system, and the
// device side of a transfer (what a DMA master reads/writes at a DMA address, through the memory system).
import { createSoc } from '../soc/soc.ts';
import { dmaToPhys } from './device.ts';
import { platformFromSoc } from './soc-platform.ts';
import { DmaSystem } from './system.ts';
import type { Soc } from '../soc/soc.ts';
import type { Device } from './device.ts';
import type { DmaParams } from './env.ts';
import type { DmaPlatform } from './platform.ts';

export interface TestMachine {
  soc: Soc;
  platform: DmaPlatform;
  sys: DmaSystem;
  /** Maintenance calls in order, e.g. "l1map:2:0x..:4096", when recording is on. */
  calls: string[];
}

export function makeMachine(opts: { preset?: string; params?: Partial<DmaParams>; debug?: boolean; record?: boolean; strategy?: string } = {}): TestMachine {
  const soc = createSoc(opts.preset ?? 'exynos4412', { history: false });
  const base = platformFromSoc(soc);
  const calls: string[] = [];
  const platform: DmaPlatform = opts.record
    ? {
        ...base,
        dmaMapArea: (c, pa, len, dir) => (calls.push(`l1map:${dir}:${pa.toString(16)}:${len}`), base.dmaMapArea(c, pa, len, dir)),
        dmaUnmapArea: (c, pa, len, dir) => (calls.push(`l1unmap:${dir}:${pa.toString(16)}:${len}`), base.dmaUnmapArea(c, pa, len, dir)),
        outerInvRange: (pa, len, c) => (calls.push(`l2inv:${pa.toString(16)}:${len}`), base.outerInvRange(pa, len, c)),
        outerCleanRange: (pa, len, c) => (calls.push(`l2clean:${pa.toString(16)}:${len}`), base.outerCleanRange(pa, len, c)),
        outerFlushRange: (pa, len, c) => (calls.push(`l2flush:${pa.toString(16)}:${len}`), base.outerFlushRange(pa, len, c)),
      }
    : base;
  const sys = new DmaSystem({
    platform,
    stats: soc.sim.stats,
    debug: opts.debug ?? true,
    ...(opts.params === undefined ? {} : { params: opts.params }),
    ...(opts.strategy === undefined ? {} : { defaultStrategy: opts.strategy }),
  });
  return { soc, platform, sys, calls };
}

/** Deterministic pattern bytes. */
export function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function cpuWrite(m: TestMachine, pa: number, data: Uint8Array): void {
  m.platform.cpuWrite(0, pa, data, 0, data.length, 'normal-wb');
}

export function cpuRead(m: TestMachine, pa: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  m.platform.cpuRead(0, pa, b, 0, len, 'normal-wb');
  return b;
}

/** The device writes `data` at DMA address `handle` (no IOMMU: dma-ranges translation only). */
export function devWrite(m: TestMachine, dev: Device, handle: number, data: Uint8Array): void {
  m.platform.deviceWrite(dev.coherency, dmaToPhys(dev, handle), data, 0, data.length);
}

export function devRead(m: TestMachine, dev: Device, handle: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  m.platform.deviceRead(dev.coherency, dmaToPhys(dev, handle), b, 0, len);
  return b;
}
