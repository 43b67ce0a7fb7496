// A DMA machine: one SoC (createSoc) with its DMA layer (DmaSystem), the IOMMU strategies, one IOMMU per
// master as the Exynos SYSMMUs are, the coherency checker, and each device's data port. The replayer, the
// scenarios and the benchmarks all build their machine here, so a strategy behaves the same everywhere.
import { createSoc } from '../soc/soc.ts';
import type { Soc, SocOptions } from '../soc/soc.ts';
import { Iommu, IommuDataPort, interconnectWalkBus, walkMemoryOf, deviceDataPathOf } from '../soc/iommu/index.ts';
import type { DeviceDataPath, PageTableFormat } from '../soc/iommu/index.ts';
import type { MasterId } from '../soc/interconnect/index.ts';
import { BusError } from '../soc/memory/index.ts';
import type { Preset } from '../soc/presets/preset.ts';
import { getPreset } from '../soc/presets/registry.ts';
import type { OuterCacheConfig } from '../soc/cache/outer-cache.ts';
import { DmaSystem } from './system.ts';
import { platformFromSoc } from './soc-platform.ts';
import { registerIommuStrategies } from './iommu-dma.ts';
import type { IommuDmaConfig } from './iommu-dma.ts';
import { Device, dmaToPhys } from './device.ts';
import type { DeviceOptions } from './device.ts';
import type { DmaParams } from './env.ts';
import { CoherencyChecker } from './checker/index.ts';
import type { Violation } from './violation.ts';
import type { CoherencyMode, DeviceLike } from './types.ts';

export interface DmaMachineOptions {
  seed?: number;
  /** Strategy for devices that name none (default 'direct'). */
  strategy?: string;
  /** dma-debug (CONFIG_DMA_API_DEBUG); default true. */
  debug?: boolean;
  /** The coherency checker; default true. */
  checker?: boolean;
  speculation?: SocOptions['speculation'];
  /** Per-line history for explanations (default: on when the checker is on). */
  history?: boolean;
  params?: Partial<DmaParams>;
  /** IOMMU domain defaults (flush-queue size and timeout, forgetTableClean, …). */
  iommu?: Partial<IommuDmaConfig>;
  /**
   * Overrides of the preset's outer cache (e.g. an older PL310 revision with its errata and the kernel's
   * workaround off, for the bug catalog). Absent: the preset as is.
   */
  l2?: Partial<OuterCacheConfig>;
}

/** How a device reaches memory: its bus master and, under an IOMMU strategy, its IOMMU. */
interface DevicePort {
  master: MasterId;
  iommu: Iommu | null;
  iommuPort: IommuDataPort | null;
}

export class DmaMachine {
  readonly soc: Soc;
  readonly sys: DmaSystem;
  readonly checker: CoherencyChecker | null;
  readonly strategy: string;
  readonly iommuFormat: PageTableFormat;
  private readonly ports = new Map<string, DevicePort>();
  private readonly iommus = new Map<string, Iommu>();
  /** Completion time of the bus transfers of the translated access in progress. */
  private busEnd = 0;

  constructor(preset: string | Preset, opts: DmaMachineOptions = {}) {
    const checkerOn = opts.checker ?? true;
    const base = typeof preset === 'string' ? getPreset(preset) : preset;
    this.soc = createSoc(opts.l2 !== undefined ? { ...base, l2: { ...base.l2, ...opts.l2 } } : base, {
      seed: opts.seed ?? 1,
      history: opts.history ?? checkerOn,
      ...(opts.speculation !== undefined ? { speculation: opts.speculation } : {}),
    });
    const { sim } = this.soc;
    this.strategy = opts.strategy ?? 'direct';
    this.sys = new DmaSystem({
      platform: platformFromSoc(this.soc),
      stats: sim.stats,
      debug: opts.debug ?? true,
      defaultStrategy: this.strategy,
      ...(opts.params !== undefined ? { params: opts.params } : {}),
    });
    // Exynos4 masters sit behind SYSMMUs; the arm64-like preset has an SMMU with LPAE tables.
    this.iommuFormat = this.soc.preset.name.startsWith('exynos') ? 'sysmmu' : 'lpae';
    registerIommuStrategies(this.sys, {
      now: () => sim.now,
      cpuClock: this.soc.cpuClock,
      schedule: (delay, fn) => {
        sim.schedule(delay, fn);
      },
      iommuFor: (dev) => this.iommuOf(dev),
      ...(opts.iommu !== undefined ? { defaults: opts.iommu } : {}),
    });
    this.checker = checkerOn ? this.createChecker() : null;
    this.sys.strategy(this.strategy); // fail early, with the list of valid names
  }

  get sim() {
    return this.soc.sim;
  }

  get violations(): Violation[] {
    return this.sys.violations;
  }

  /** Adds a device; its strategy is the machine's unless the options name one. */
  addDevice(opts: DeviceOptions): Device {
    return this.sys.addDevice({ strategy: this.strategy, ...opts });
  }

  device(name: string): Device {
    return this.sys.device(name);
  }

  /**
   * The device's own DMA: `len` bytes at DMA address `dmaAddr` through its IOMMU (when it has one) or its
   * dma-ranges, into or out of memory with its coherency mode. Charges the bus and returns the time taken.
   */
  deviceAccess(dev: Device, dmaAddr: number, buf: Uint8Array, off: number, len: number, isWrite: boolean): number {
    const port = this.portOf(dev);
    const now = this.soc.sim.now;
    if (port.iommuPort !== null) {
      this.busEnd = now;
      const translate = isWrite ? port.iommuPort.write(dmaAddr, buf, off, len, now, dev.name) : port.iommuPort.read(dmaAddr, buf, off, len, now, dev.name);
      return Math.max(translate, this.busEnd - now);
    }
    const pa = dmaToPhys(dev, dmaAddr);
    let region;
    try {
      region = this.soc.map.resolve(pa, len, dev.name, isWrite ? 'write' : 'read');
    } catch (err) {
      if (!(err instanceof BusError)) throw err;
      // The hardware answers with a bus error: the transfer is dropped, reads return zeros, the kernel logs it.
      this.sys.dmesg(dev, err.message);
      this.soc.sim.stats.counter(`bus.${dev.name}.errors`).add(1);
      if (!isWrite) buf.fill(0, off, off + len);
      return 0;
    }
    if (region.kind === 'dram') {
      const mem = this.soc.memory;
      if (isWrite) mem.deviceWrite(dev.coherency, pa, buf, off, len, dev.name);
      else mem.deviceRead(dev.coherency, pa, buf, off, len, dev.name);
    } else if (isWrite) this.soc.physical.write(pa, buf, off, len, dev.name);
    else this.soc.physical.read(pa, buf, off, len, dev.name);
    return this.soc.interconnect.access(port.master, pa, len, isWrite, now) - now;
  }

  /**
   * Gives back host memory kept for explanations (the line history's log), for the next machine to
   * reuse: call it when the run is over. Results read so far stay valid; later violations would be
   * explained without the history before this call.
   */
  release(): void {
    this.soc.memory.history.clear();
  }

  /** The IOMMU in front of a device (created on first use, one per master). */
  iommuOf(dev: DeviceLike): Iommu {
    let iommu = this.iommus.get(dev.name);
    if (iommu === undefined) {
      const { soc } = this;
      const master = `sysmmu-${dev.name}`;
      iommu = new Iommu({
        master,
        format: this.iommuFormat,
        walkMemory: walkMemoryOf(soc.memory, 'none'),
        bus: interconnectWalkBus(soc.interconnect, master),
        stats: soc.sim.stats,
        onViolation: (v) => this.sys.violation(v.kind, dev, v.addr, v.size, v.message, v.hint),
      });
      this.iommus.set(dev.name, iommu);
    }
    return iommu;
  }

  private portOf(dev: Device): DevicePort {
    let port = this.ports.get(dev.name);
    if (port === undefined) {
      const master = this.soc.interconnect.addMaster({ name: dev.name, widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 4 });
      const usesIommu = dev.ops.name.startsWith('iommu');
      const iommu = usesIommu ? this.iommuOf(dev) : null;
      const data = this.timedDataPath(deviceDataPathOf(withMaster(this.soc.memory, dev.name), dev.coherency), master);
      port = { master, iommu, iommuPort: iommu === null ? null : new IommuDataPort(iommu, data) };
      this.ports.set(dev.name, port);
    }
    return port;
  }

  /**
   * The translated data path of a device behind an IOMMU: each piece also crosses the interconnect as the
   * device's master, so translated traffic competes for the bus and DRAM like untranslated traffic does.
   */
  private timedDataPath(data: DeviceDataPath, master: MasterId): DeviceDataPath {
    const ic = this.soc.interconnect;
    const sim = this.soc.sim;
    return {
      read: (pa, dst, off, len) => {
        data.read(pa, dst, off, len);
        this.busEnd = Math.max(this.busEnd, ic.access(master, pa, len, false, sim.now));
      },
      write: (pa, src, off, len) => {
        data.write(pa, src, off, len);
        this.busEnd = Math.max(this.busEnd, ic.access(master, pa, len, true, sim.now));
      },
    };
  }

  private createChecker(): CoherencyChecker {
    const { soc, sys } = this;
    const checker = new CoherencyChecker({
      dramBase: soc.preset.dram.base,
      dramSize: soc.preset.dram.size,
      lineBytes: soc.memory.lineBytes,
      now: () => soc.sim.now,
      report: (v) => sys.violations.push({ ...v, op: sys.opIndex }),
      history: soc.memory.history,
    });
    soc.memory.attachObserver(checker);
    sys.attachChecker(checker);
    return checker;
  }
}

/** The memory system seen by one device: its accesses carry the device's name (for the checker). */
function withMaster(mem: Soc['memory'], master: string) {
  return {
    deviceRead: (mode: CoherencyMode, pa: number, dst: Uint8Array, off: number, len: number) => mem.deviceRead(mode, pa, dst, off, len, master),
    deviceWrite: (mode: CoherencyMode, pa: number, src: Uint8Array, off: number, len: number) => mem.deviceWrite(mode, pa, src, off, len, master),
  };
}

export function createDmaMachine(preset: string | Preset, opts: DmaMachineOptions = {}): DmaMachine {
  return new DmaMachine(preset, opts);
}
