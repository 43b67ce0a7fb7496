// The runtime the ops tables and the public API work in: the platform, parameters, allocators, the
// current call's cost record and calling core. DmaSystem implements it; ops factories receive it.
import type { DmaCallCost, DmaCounters } from './cost.ts';
import type { DmaDebug } from './debug.ts';
import type { DmaMemory } from './memory.ts';
import type { DmaPlatform, StatsLike } from './platform.ts';
import type { CoherentBuffer, DeviceLike, DmaDirection, ScatterEntry, UserMapping } from './types.ts';
import type { ViolationKind } from './violation.ts';

/** gfp flags the allocation path looks at. */
export const GFP_KERNEL = 0;
export const GFP_ATOMIC = 1;
export const __GFP_NOWARN = 2;

export interface DmaParams {
  /** Fixed CPU cycles of a map/unmap/sync call (function calls, locking, bookkeeping). Default 40. */
  callOverheadCycles: number;
  /** Fixed CPU cycles of a coherent alloc/free beyond zeroing and maintenance (page allocation, remap). Default 2000. */
  allocOverheadCycles: number;
  /** Extra cycles per mapping when dma-debug is on (hash insert/lookup). Default 60. */
  debugOverheadCycles: number;
  pageSize: number;
  /** ARCH_KMALLOC_MINALIGN. Default: the preset's line size rounded up to 64 (ARM: CONFIG_ARM_L1_CACHE_SHIFT=6). */
  kmallocMinAlign: number;
  /** ARCH_DMA_MINALIGN (arm64: 128); the kmalloc bounce rule compares against it. Default: kmallocMinAlign. */
  archDmaMinAlign: number;
  /** arm64 v6.5+ rule: bounce small unaligned kmalloc-sized buffers mapped FROM_DEVICE/BIDIRECTIONAL. Default false. */
  kmallocBounce: boolean;
  /** swiotlb strategy bounces every streaming mapping (swiotlb=force). Default true. */
  swiotlbForce: boolean;
  swiotlbBytes: number;
  /** swiotlb/dma-direct cleans (not invalidates) FROM_DEVICE at map, as arm64 since v5.19. Default (absent) true. */
  swiotlbCleanFromDevice?: boolean;
  /**
   * The invalidate on the way back to the CPU (unmap / sync_for_cpu of FROM_DEVICE and BIDIRECTIONAL).
   * Default (absent) true. false models ARM kernels before 2.6.34, which did no cache maintenance after a
   * transfer (Russell King added dma_unmap_area because ARMv7 CPUs prefetch speculatively): bug catalog only.
   */
  unmapInvalidate?: boolean;
  cmaBytes: number;
  atomicPoolBytes: number;
  consistentAreaBase: number;
  consistentAreaBytes: number;
  /** dmabounce_register_dev default pool block sizes. */
  dmabounceSmallBytes: number;
  dmabounceLargeBytes: number;
}

/**
 * What the coherency checker (dma/checker CoherencyChecker fits it) learns from the DMA API: ownership
 * changes per mapping, bounce-buffer aliases, and which copies are the kernel's own (not logical accesses).
 */
export interface DmaApiObserver {
  op: number;
  onMap(dev: string, dmaAddr: number, pa: number, len: number, dir: DmaDirection): void;
  onUnmap(dev: string, dmaAddr: number): void;
  onSyncForCpu(dev: string, dmaAddr: number): void;
  onSyncForDevice(dev: string, dmaAddr: number): void;
  onBounceStart(bouncePa: number, origPa: number, len: number): void;
  onBounceEnd(bouncePa: number): void;
  asInternal<T>(fn: () => T): T;
}

/**
 * Hears every public DMA API call once it returned, with its arguments and result (the trace recorder,
 * the timeline). `env.cost` still holds the call's cost when it is called. Null/absent: no cost.
 */
export interface DmaApiRecorder {
  mapPage(dev: DeviceLike, pa: number, size: number, dir: DmaDirection, attrs: number, handle: number): void;
  unmapPage(dev: DeviceLike, handle: number, size: number, dir: DmaDirection, attrs: number): void;
  mapResource(dev: DeviceLike, phys: number, size: number, dir: DmaDirection, attrs: number, handle: number): void;
  unmapResource(dev: DeviceLike, handle: number, size: number, dir: DmaDirection, attrs: number): void;
  mappingError(dev: DeviceLike, handle: number): void;
  /** `mapped` is what dma_map_sg returned (entries [0, mapped) carry DMA addresses). */
  mapSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, mapped: number, dir: DmaDirection, attrs: number): void;
  unmapSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, dir: DmaDirection, attrs: number): void;
  syncSingle(dev: DeviceLike, handle: number, size: number, dir: DmaDirection, forCpu: boolean): void;
  syncSg(dev: DeviceLike, sg: readonly ScatterEntry[], nents: number, dir: DmaDirection, forCpu: boolean): void;
  alloc(dev: DeviceLike, size: number, attrs: number, buf: CoherentBuffer | null): void;
  free(dev: DeviceLike, size: number, cpuAddr: number | null, handle: number, attrs: number): void;
  mmap(dev: DeviceLike, handle: number, size: number, attrs: number, mapping: UserMapping | null): void;
}

export interface DmaEnv {
  readonly platform: DmaPlatform;
  readonly params: Readonly<DmaParams>;
  readonly memory: DmaMemory;
  readonly debug: DmaDebug;
  readonly stats: StatsLike | null;
  readonly counters: DmaCounters | null;
  /** The cost of the call in progress (reset by every public API call). */
  readonly cost: DmaCallCost;
  /** The core the current call runs on. */
  core: number;
  /** gfp of the allocation in progress. */
  gfp: number;
  /** Set by an ops table that refused a call (dmabounce BUG_ON): the debug hook then keeps the entry. */
  refused: boolean;
  /** Set by an ops table that bounced the mapping (dma-debug skips the cacheline overlap report). */
  bounced: boolean;
  /** A kernel log line for `dev` (dev_warn/dev_err): "<driver> <name>: text". */
  dmesg(dev: DeviceLike | null, text: string): void;
  /** A violation found by the ops (not by dma-debug). */
  violation(kind: ViolationKind, dev: DeviceLike, addr: number, size: number, message: string, hint: string): void;
  /** The coherency checker, when attached (optional so hand-built test envs need not name it). */
  observer?: DmaApiObserver | null;
  /** The trace recorder / timeline hook, when attached. */
  recorder?: DmaApiRecorder | null;
  /** A staging buffer for copies (at least 64 KiB). */
  readonly scratch: Uint8Array;
}
