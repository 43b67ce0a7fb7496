// A DMA-capable device: its name, driver, DMA mask, coherency mode, optional IOMMU, ops table and the
// dma-ranges translation between CPU physical and device (bus) addresses: dma = phys - cpuBase + dmaBase.
import type { CounterLike } from './platform.ts';
import type { DmaEnv } from './env.ts';
import type { CoherencyMode, CoherentBuffer, DeviceLike, DmaMapOps } from './types.ts';

/** Counters a device's calls add to (`dma.<dev>.cycles`, `dma.<dev>.calls`), created by DmaSystem. */
export interface DeviceDmaCounters {
  readonly cycles: CounterLike;
  readonly calls: CounterLike;
}

export class DeviceError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}

/** DMA_BIT_MASK(n) as a number; 53 bits and more saturate at the largest exact integer. */
export function dmaBitMask(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new DeviceError(`dmaBitMask: expected 1..64 bits, got ${bits}`);
  return bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
}

/** One dma-ranges entry: the bus sees CPU physical `cpuBase` at `dmaBase`. */
export interface DmaRange {
  cpuBase: number;
  dmaBase: number;
  /** Bytes covered; the default covers everything above cpuBase. */
  size?: number;
}

export interface DeviceOptions {
  name: string;
  driver?: string;
  /** The mask as a value (0xffffffff) or `bits` (32). Default 32 bits. */
  dmaMask?: number;
  dmaMaskBits?: number;
  coherentDmaMask?: number;
  coherency?: CoherencyMode;
  /** Opaque to this layer; the IOMMU strategy reads it. */
  iommu?: unknown;
  dmaRange?: DmaRange;
  /** dma_get_min_align_mask (NVMe sets 4 KiB - 1): swiotlb preserves these address bits. */
  minAlignMask?: number;
  /** Strategy name the device was set up with (informational). */
  strategy?: string;
}

export class Device implements DeviceLike {
  readonly name: string;
  readonly driver: string;
  dmaMask: number;
  coherentDmaMask: number;
  readonly coherency: CoherencyMode;
  iommu: unknown;
  ops: DmaMapOps;
  /** dma - phys for addresses inside the dma range (0 without dma-ranges). */
  readonly dmaRangeOffset: number;
  readonly dmaRange: Readonly<Required<DmaRange>> | null;
  readonly minAlignMask: number;
  strategy: string;
  /** Set when the driver is unbound (remove_device); further calls are refused. */
  removed = false;
  /** The DMA system the device is attached to (its ops, debug tracker, allocators, stats). */
  env: DmaEnv | null = null;
  counters: DeviceDmaCounters | null = null;
  /** Live coherent allocations by DMA handle (dma_free_* and dma_mmap_* find them here). */
  readonly coherentBuffers = new Map<number, CoherentBuffer>();

  constructor(opts: DeviceOptions, ops: DmaMapOps) {
    if (typeof opts.name !== 'string' || opts.name.length === 0) throw new DeviceError('Device: expected a non-empty name');
    this.name = opts.name;
    this.driver = opts.driver ?? opts.name.replace(/^[0-9a-f]+\./, '');
    this.dmaMask = opts.dmaMask ?? dmaBitMask(opts.dmaMaskBits ?? 32);
    this.coherentDmaMask = opts.coherentDmaMask ?? this.dmaMask;
    this.coherency = opts.coherency ?? 'none';
    this.iommu = opts.iommu;
    this.ops = ops;
    this.minAlignMask = opts.minAlignMask ?? 0;
    this.strategy = opts.strategy ?? ops.name;
    if (opts.dmaRange !== undefined) {
      const r = opts.dmaRange;
      this.dmaRange = { cpuBase: r.cpuBase, dmaBase: r.dmaBase, size: r.size ?? Number.MAX_SAFE_INTEGER - r.cpuBase };
      this.dmaRangeOffset = r.dmaBase - r.cpuBase;
    } else {
      this.dmaRange = null;
      this.dmaRangeOffset = 0;
    }
  }

  /** True when the device is IO-coherent (no CPU cache maintenance needed). */
  get isCoherent(): boolean {
    return this.coherency !== 'none';
  }
}

/** phys_to_dma: the bus address of a CPU physical address for this device. */
export function physToDma(dev: DeviceLike, phys: number): number {
  return phys + (dev.dmaRangeOffset ?? 0);
}

/** dma_to_phys: the inverse of physToDma. */
export function dmaToPhys(dev: DeviceLike, dma: number): number {
  return dma - (dev.dmaRangeOffset ?? 0);
}

/** dma_capable: whether the device can reach [dma, dma+size) with its mask. */
export function dmaCapable(dev: DeviceLike, dma: number, size: number): boolean {
  return dma + Math.max(size, 1) - 1 <= dev.dmaMask;
}
