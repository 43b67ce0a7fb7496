// DmaSystem: the DMA layer of one machine. It owns the platform view of the SoC, the kernel allocators,
// dma-debug, the devices by name, the strategies (name -> ops factory), the violations found and the
// kernel log; it is the DmaEnv every ops table and API call works in.
import { newCallCost } from './cost.ts';
import { DmaDebug } from './debug.ts';
import { Device, DeviceError } from './device.ts';
import { GFP_KERNEL } from './env.ts';
import { DmaMemory } from './memory.ts';
import { BUILTIN_STRATEGIES } from './strategies.ts';
import type { DmaCallCost, DmaCounters } from './cost.ts';
import type { DeviceOptions } from './device.ts';
import type { DmaApiObserver, DmaApiRecorder, DmaEnv, DmaParams } from './env.ts';
import type { DmaPlatform, StatsLike } from './platform.ts';
import type { DmaStrategy } from './strategies.ts';
import type { CoherencyMode, DeviceLike, DmaMapOps } from './types.ts';
import type { Violation, ViolationKind } from './violation.ts';

export class StrategyError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'StrategyError';
  }
}

export interface DmaSystemOptions {
  platform: DmaPlatform;
  /** emulator/kernel Stats (sim.stats) or anything with counter(name).add(n); null: no stats. */
  stats?: StatsLike | null;
  params?: Partial<DmaParams>;
  /** dma-debug on (CONFIG_DMA_API_DEBUG). Default true. */
  debug?: boolean;
  /** Strategy for devices that name none. Default 'direct'. */
  defaultStrategy?: string;
}

/** The defaults, each a stated assumption (see the report / docs/presets.md). */
export function defaultDmaParams(platform: DmaPlatform, over: Partial<DmaParams> = {}): DmaParams {
  const kmallocMinAlign = over.kmallocMinAlign ?? Math.max(64, platform.lineSize);
  return {
    callOverheadCycles: 40,
    allocOverheadCycles: 2000,
    debugOverheadCycles: 60,
    pageSize: 4096,
    kmallocMinAlign,
    archDmaMinAlign: kmallocMinAlign,
    kmallocBounce: false,
    swiotlbForce: true,
    swiotlbBytes: 64 << 20,
    swiotlbCleanFromDevice: true,
    cmaBytes: 16 << 20,
    atomicPoolBytes: 256 << 10,
    consistentAreaBase: 0xffc00000,
    consistentAreaBytes: 2 << 20,
    dmabounceSmallBytes: 512,
    dmabounceLargeBytes: 4096,
    ...over,
  };
}

export interface DmaMemoryUsage {
  consistentAreaBytes: number;
  consistentUsed: number;
  consistentPeak: number;
  atomicPoolUsed: number;
  cmaUsed: number;
  pagesUsed: number;
  kmallocSlabBytes: number;
  swiotlbUsedSlots: number;
  swiotlbPeakSlots: number;
  swiotlbTotalSlots: number;
}

export class DmaSystem implements DmaEnv {
  readonly platform: DmaPlatform;
  readonly params: Readonly<DmaParams>;
  readonly memory: DmaMemory;
  readonly debug: DmaDebug;
  readonly stats: StatsLike | null;
  readonly counters: DmaCounters | null;
  readonly cost: DmaCallCost = newCallCost();
  core = 0;
  gfp = GFP_KERNEL;
  refused = false;
  bounced = false;
  readonly scratch = new Uint8Array(64 * 1024);
  readonly devices = new Map<string, Device>();
  readonly violations: Violation[] = [];
  /** Kernel log lines (dev_warn / dev_err / pr_err). */
  readonly dmesgLog: string[] = [];
  /** The coherency checker, once attached. */
  observer: DmaApiObserver | null = null;
  /** The trace recorder / timeline: hears every public API call (null: off, one check per call). */
  recorder: DmaApiRecorder | null = null;
  private op = -1;
  readonly defaultStrategy: string;
  private readonly strategiesByName = new Map<string, DmaStrategy>();
  private readonly opsCache = new Map<string, DmaMapOps>();
  private published = new Map<string, number>();

  constructor(opts: DmaSystemOptions) {
    this.platform = opts.platform;
    this.params = defaultDmaParams(opts.platform, opts.params);
    this.memory = new DmaMemory(opts.platform.dram, this.params);
    this.stats = opts.stats ?? null;
    this.counters =
      this.stats === null
        ? null
        : {
            cycles: this.stats.counter('dma.cycles'),
            calls: this.stats.counter('dma.calls'),
            bytesCleaned: this.stats.counter('dma.bytesCleaned'),
            bytesInvalidated: this.stats.counter('dma.bytesInvalidated'),
            bytesFlushed: this.stats.counter('dma.bytesFlushed'),
            bytesBounced: this.stats.counter('dma.bytesBounced'),
          };
    this.debug = new DmaDebug(
      (kind, dev, addr, size, message, hint) => this.violations.push({ kind, op: this.opIndex, dev, addr, size, message, hint }),
      opts.platform.lineSize,
      opts.debug ?? true,
    );
    for (const s of BUILTIN_STRATEGIES) this.strategiesByName.set(s.name, s);
    this.defaultStrategy = opts.defaultStrategy ?? 'direct';
    // The atomic pool is remapped non-cacheable at boot and leaves the linear map.
    const aliases = opts.platform.aliases;
    if (aliases !== undefined && this.memory.atomicPool.bytes > 0) {
      aliases.setLinearMapped(this.memory.atomicPool.base, this.memory.atomicPool.bytes, false);
      aliases.addMapping(this.memory.atomicPool.base, this.memory.atomicPool.bytes, 'normal-nc', 'atomic-pool');
    }
  }

  /** Index of the trace operation being replayed (goes into violations, and into the checker's). */
  get opIndex(): number {
    return this.op;
  }
  set opIndex(v: number) {
    this.op = v;
    if (this.observer !== null) this.observer.op = v;
  }

  /** Attaches the coherency checker: it then hears every map, unmap, sync and bounce. */
  attachChecker(observer: DmaApiObserver): void {
    this.observer = observer;
    observer.op = this.op;
  }

  // ---- DmaEnv ----

  dmesg(dev: DeviceLike | null, text: string): void {
    this.dmesgLog.push(dev === null ? text : `${dev.driver} ${dev.name}: ${text}`);
  }

  violation(kind: ViolationKind, dev: DeviceLike, addr: number, size: number, message: string, hint: string): void {
    this.violations.push({ kind, op: this.opIndex, dev: dev.name, addr, size, message, hint });
  }

  /** The cost of the last API call (a live record: copy what you keep). */
  get lastCost(): DmaCallCost {
    return this.cost;
  }

  // ---- strategies ----

  /**
   * Adds a strategy: either a full DmaStrategy or (name, ops factory) for a streaming strategy. The
   * IOMMU helper registers iommu-strict / iommu-lazy here.
   */
  registerStrategy(nameOrStrategy: string | DmaStrategy, factory?: (env: DmaEnv, coherency: CoherencyMode) => DmaMapOps): void {
    let s: DmaStrategy;
    if (typeof nameOrStrategy === 'string') {
      if (factory === undefined) throw new StrategyError(`registerStrategy(${nameOrStrategy}): expected an ops factory`);
      s = { name: nameOrStrategy, description: nameOrStrategy, buffers: 'streaming', createOps: factory };
    } else s = nameOrStrategy;
    this.strategiesByName.set(s.name, s);
    for (const k of [...this.opsCache.keys()]) if (k.startsWith(`${s.name}/`)) this.opsCache.delete(k);
  }

  strategy(name: string): DmaStrategy {
    const s = this.strategiesByName.get(name);
    if (s === undefined) throw new StrategyError(`unknown DMA strategy ${JSON.stringify(name)} (known: ${this.strategyNames().join(', ')})`);
    return s;
  }

  strategyNames(): string[] {
    return [...this.strategiesByName.keys()];
  }

  /** The ops table of a strategy for devices of one coherency mode (one shared instance). */
  opsFor(strategy: string, coherency: CoherencyMode): DmaMapOps {
    const key = `${strategy}/${coherency}`;
    let ops = this.opsCache.get(key);
    if (ops === undefined) {
      ops = this.strategy(strategy).createOps(this, coherency);
      this.opsCache.set(key, ops);
    }
    return ops;
  }

  // ---- devices ----

  addDevice(opts: DeviceOptions): Device {
    if (this.devices.has(opts.name)) throw new DeviceError(`addDevice: a device named ${opts.name} already exists`);
    const strategyName = opts.strategy ?? this.defaultStrategy;
    const s = this.strategy(strategyName);
    const coherency = s.coherency ?? opts.coherency ?? 'none';
    const ops = this.opsFor(strategyName, coherency);
    const dev = new Device({ ...opts, coherency, strategy: strategyName }, ops);
    dev.env = this;
    if (this.stats !== null) dev.counters = { cycles: this.stats.counter(`dma.${dev.name}.cycles`), calls: this.stats.counter(`dma.${dev.name}.calls`) };
    s.attach?.(ops, dev, this);
    this.devices.set(dev.name, dev);
    return dev;
  }

  device(name: string): Device {
    const d = this.devices.get(name);
    if (d === undefined) throw new DeviceError(`unknown device ${JSON.stringify(name)}`);
    return d;
  }

  /** The driver is unbound: dma-debug reports live mappings as leaks (when on); returns how many were live. */
  removeDevice(nameOrDev: string | Device): number {
    const dev = typeof nameOrDev === 'string' ? this.device(nameOrDev) : nameOrDev;
    const leaked = this.debug.enabled ? this.debug.removeDevice(dev) : this.debug.entriesOf(dev);
    this.strategy(dev.strategy).detach?.(dev.ops, dev, this);
    dev.removed = true;
    this.devices.delete(dev.name);
    return leaked;
  }

  // ---- accounting ----

  memoryUsage(): DmaMemoryUsage {
    const m = this.memory;
    return {
      consistentAreaBytes: m.vm.bytes,
      consistentUsed: m.vm.usedBytes,
      consistentPeak: m.vm.peakBytes,
      atomicPoolUsed: m.atomicPool.usedBytes,
      cmaUsed: m.cma.usedBytes,
      pagesUsed: m.pages.usedBytes,
      kmallocSlabBytes: m.kmalloc.slabBytes,
      swiotlbUsedSlots: m.swiotlb?.usedSlotCount ?? 0,
      swiotlbPeakSlots: m.swiotlb?.peakSlotCount ?? 0,
      swiotlbTotalSlots: m.swiotlb?.nslabs ?? 0,
    };
  }

  /** Writes the allocator usage into stats as `dma.mem.<name>` counters holding the current values. */
  publishStats(): void {
    if (this.stats === null) return;
    for (const [k, v] of Object.entries(this.memoryUsage())) {
      const name = `dma.mem.${k}`;
      const prev = this.published.get(name) ?? 0;
      if (v !== prev) this.stats.counter(name).add(v - prev);
      this.published.set(name, v);
    }
  }
}
