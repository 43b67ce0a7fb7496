// Shared set-up of the hand-written driver workloads (NIC, block): a DMA machine with the checker and
// dma-debug on, one device, a seeded noise block for payloads, and the counters at the end of the run.
import { createDmaMachine } from '../../dma/machine.ts';
import type { DmaMachine } from '../../dma/machine.ts';
import { dmaToPhys } from '../../dma/index.ts';
import type { Device } from '../../dma/index.ts';
import { IommuDataPort } from '../../soc/iommu/index.ts';
import type { DeviceDataPath } from '../../soc/iommu/index.ts';
import { Rng } from '../../emulator/kernel/index.ts';
import type { RawCounts } from './metrics.ts';
import { isIommuStrategy, sumIommuCounters } from './metrics.ts';
import { DMABOUNCE_WINDOW_BYTES } from './workloads.ts';

export interface DriverRig {
  machine: DmaMachine;
  dev: Device;
  rng: Rng;
  /** 64 KiB of seeded bytes; payloads are windows into it (no per-byte JS work per packet). */
  noise: Uint8Array;
  port: DevicePort;
}

export const NOISE_BYTES = 64 << 10;

/** coherent_pool= under dmabounce (an assumption, see createDriverRig). */
export const DMABOUNCE_ATOMIC_POOL_BYTES = 1 << 20;

export function createDriverRig(name: string, driver: string, strategy: string, soc: string, seed: number): DriverRig {
  // dmabounce's safe-buffer pools are GFP_ATOMIC dma_pool pages, i.e. the atomic pool: 64 RX buffers in
  // 4-KiB large-pool blocks fill the default 256 KiB, so the rig boots with coherent_pool=1M (as such boards do).
  const params = strategy === 'dmabounce' ? { params: { atomicPoolBytes: DMABOUNCE_ATOMIC_POOL_BYTES } } : {};
  const machine = createDmaMachine(soc, { seed, strategy, checker: true, debug: true, ...params });
  const dram = machine.soc.preset.dram.base;
  // dmabounce only bounces what the device cannot reach: give the device the 64 MiB bus window dmabounce
  // was written for (see DMABOUNCE_WINDOW_BYTES), or it would be `direct` under another name.
  const narrow = strategy === 'dmabounce' ? { dmaMask: DMABOUNCE_WINDOW_BYTES - 1, dmaRange: { cpuBase: dram, dmaBase: 0, size: DMABOUNCE_WINDOW_BYTES } } : {};
  const dev = machine.addDevice({ name, driver, coherency: 'none', ...narrow });
  const rng = new Rng(seed).fork(name);
  const noise = new Uint8Array(NOISE_BYTES);
  rng.fill(noise);
  return { machine, dev, rng, noise, port: new DevicePort({ machine, dev }) };
}

/** Lets simulated time pass (IOMMU lazy flush timers, bus reservations) up to at least `until`. */
export function advanceTo(rig: DriverRig, until: number): void {
  const sim = rig.machine.sim;
  if (until > sim.now) sim.run(until);
}

export function countsOf(rig: DriverRig, strategy: string, bytesMoved: number, corrupt: number): RawCounts {
  const { sim, soc } = rig.machine;
  const all = sim.stats.toJSON();
  const c = (n: string) => sim.stats.counter(n).value;
  return {
    dmaCycles: c('dma.cycles'),
    bytesCleaned: c('dma.bytesCleaned'),
    bytesInvalidated: c('dma.bytesInvalidated'),
    bytesFlushed: c('dma.bytesFlushed'),
    bytesBounced: c('dma.bytesBounced'),
    iotlb: isIommuStrategy(strategy) ? { hits: sumIommuCounters(all, '.tlb_hits'), misses: sumIommuCounters(all, '.tlb_misses') } : null,
    dramBytes: soc.dramTiming.bytesRead + soc.dramTiming.bytesWritten,
    deadlineMisses: corrupt,
    violations: rig.machine.violations.length,
    bytesMoved,
  };
}

/** True when `a[0..len)` equals `b[0..len)` (native compare). */
export function sameBytes(a: Uint8Array, b: Uint8Array, len: number): boolean {
  return Buffer.from(a.buffer, a.byteOffset, len).equals(Buffer.from(b.buffer, b.byteOffset, len));
}

/**
 * The device's DMA engine moves data in bursts of this many bytes (16 beats × 8 B AXI), each a separate bus
 * transaction and IOTLB lookup, as a real master's would be. An assumption, stated in docs/benchmarks.md.
 */
export const DEVICE_BURST_BYTES = 128;

/**
 * The device's bus port: its own interconnect master, and under an IOMMU strategy the machine's IOMMU for
 * it. Both paths charge every data burst to the interconnect and DRAM (DmaMachine.deviceAccess charges only
 * the table walks on its IOMMU path, which would hide the device's own DRAM traffic from the matrix).
 */
export class DevicePort {
  private readonly master: number;
  private readonly iommuPort: IommuDataPort | null;

  constructor(private readonly rig: Pick<DriverRig, 'machine' | 'dev'>) {
    const { machine, dev } = rig;
    const { soc } = machine;
    this.master = soc.interconnect.addMaster({ name: dev.name, widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 4 });
    const data: DeviceDataPath = {
      read: (pa, dst, off, len) => {
        soc.memory.deviceRead(dev.coherency, pa, dst, off, len, dev.name);
        soc.interconnect.access(this.master, pa, len, false, soc.sim.now);
      },
      write: (pa, src, off, len) => {
        soc.memory.deviceWrite(dev.coherency, pa, src, off, len, dev.name);
        soc.interconnect.access(this.master, pa, len, true, soc.sim.now);
      },
    };
    this.iommuPort = dev.ops.name.startsWith('iommu') ? new IommuDataPort(machine.iommuOf(dev), data) : null;
    this.data = data;
  }

  private readonly data: DeviceDataPath;

  /** One burst: `len` bytes at DMA address `dmaAddr`. */
  access(dmaAddr: number, buf: Uint8Array, off: number, len: number, isWrite: boolean): void {
    const { machine, dev } = this.rig;
    if (this.iommuPort !== null) {
      if (isWrite) this.iommuPort.write(dmaAddr, buf, off, len, machine.sim.now, dev.name);
      else this.iommuPort.read(dmaAddr, buf, off, len, machine.sim.now, dev.name);
      return;
    }
    const pa = dmaToPhys(dev, dmaAddr);
    if (isWrite) this.data.write(pa, buf, off, len);
    else this.data.read(pa, buf, off, len);
  }
}

/** The device reads or writes `len` bytes at `handle`, burst by burst. */
export function deviceTransfer(rig: DriverRig, handle: number, buf: Uint8Array, off: number, len: number, isWrite: boolean): void {
  for (let done = 0; done < len; done += DEVICE_BURST_BYTES) {
    rig.port.access(handle + done, buf, off + done, Math.min(DEVICE_BURST_BYTES, len - done), isWrite);
  }
}
