// dma/: the dma_map_ops layer. Public API names follow the kernel (dma_map_single, …).
export { DmaAttr, DmaDirection, DMA_MAPPING_ERROR } from './types.ts';
export type { CoherencyMode, CoherentBuffer, DeviceLike, DmaAttrName, DmaDirectionName, DmaMapOps, ScatterEntry, UserMapping } from './types.ts';
export { DmaArgumentError, attrNames, attrsToString, debugDirectionName, directionName, hex16, isValidDirection, parseAttrs, parseDirection } from './attrs.ts';
export { Device, DeviceError, dmaBitMask, dmaCapable, dmaToPhys, physToDma } from './device.ts';
export type { DeviceDmaCounters, DeviceOptions, DmaRange } from './device.ts';
export { DmaDebug, debugHint } from './debug.ts';
export type { DebugMapType, DebugUnmapRef } from './debug.ts';
export { API_VIOLATION_KINDS, COHERENCY_VIOLATION_KINDS } from './violation.ts';
export type { ApiViolationKind, CoherencyViolationKind, Violation, ViolationKind, ViolationSink } from './violation.ts';
export type { AliasRegistry, CacheMaintenance, CounterLike, CpuMemory, DmaPlatform, DramRange, MemType, StatsLike } from './platform.ts';
export { platformFromSoc } from './soc-platform.ts';
export { addCallCost, newCallCost, resetCallCost } from './cost.ts';
export type { DmaCallCost, DmaCounters } from './cost.ts';
export { GFP_ATOMIC, GFP_KERNEL, __GFP_NOWARN } from './env.ts';
export type { DmaApiObserver, DmaApiRecorder, DmaEnv, DmaParams } from './env.ts';
export { AllocatorError, PageRangeAllocator, orderAlignPages } from './page-alloc.ts';
export { Kmalloc } from './kmalloc.ts';
export type { KmallocObject } from './kmalloc.ts';
export { KernelVmArea } from './vm-area.ts';
export type { VmMapping } from './vm-area.ts';
export { DmaMemory } from './memory.ts';
export type { CoherentAllocRecord, CoherentSource } from './memory.ts';
export { IO_TLB_DEFAULT_BYTES, IO_TLB_SEGSIZE, IO_TLB_SHIFT, IO_TLB_SIZE, SwiotlbPool, swiotlbFullMessage } from './swiotlb-pool.ts';
export type { SwiotlbSlotInfo } from './swiotlb-pool.ts';
export { bounceCopy, cpuZero, flushBothLevels, flushL1, syncForCpu, syncForDevice } from './cache-sync.ts';
export { armAlloc, armFree, armGetSgtable, armMmap } from './coherent-alloc.ts';
export { createArmCoherentDmaOps, createArmDmaOps } from './direct.ts';
export { DmaPool } from './dmapool.ts';
export type { DmaPoolBlock } from './dmapool.ts';
export { createDmabounceOps } from './dmabounce.ts';
export type { DmabounceOps, DmabounceOptions } from './dmabounce.ts';
export { createSwiotlbOps } from './swiotlb.ts';
export type { SwiotlbOps, SwiotlbOptions } from './swiotlb.ts';
export { sgDmaLength, sgInitTable } from './scatterlist.ts';
export {
  dma_alloc_attrs,
  dma_alloc_coherent,
  dma_alloc_noncoherent,
  dma_alloc_wc,
  dma_free_attrs,
  dma_free_coherent,
  dma_free_noncoherent,
  dma_free_wc,
  dma_get_sgtable,
  dma_get_sgtable_attrs,
  dma_map_page,
  dma_map_page_attrs,
  dma_map_resource,
  dma_map_sg,
  dma_map_sg_attrs,
  dma_map_single,
  dma_map_single_attrs,
  dma_mapping_error,
  dma_mmap_attrs,
  dma_mmap_coherent,
  dma_mmap_wc,
  dma_set_coherent_mask,
  dma_set_mask,
  dma_set_mask_and_coherent,
  dma_supported,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_sync_single_range_for_cpu,
  dma_sync_single_range_for_device,
  dma_unmap_page,
  dma_unmap_page_attrs,
  dma_unmap_resource,
  dma_unmap_sg,
  dma_unmap_sg_attrs,
  dma_unmap_single,
  dma_unmap_single_attrs,
} from './mapping.ts';
export { BUILTIN_STRATEGIES } from './strategies.ts';
export type { BufferPolicy, DmaStrategy } from './strategies.ts';
export { DmaSystem, StrategyError, defaultDmaParams } from './system.ts';
export type { DmaMemoryUsage, DmaSystemOptions } from './system.ts';
export { FlatPlatform } from './flat-platform.ts';
export { createDmaMachine, DmaMachine } from './machine.ts';
export type { DmaMachineOptions } from './machine.ts';
export { CoherencyChecker } from './checker/index.ts';
export type { CheckerOptions } from './checker/index.ts';
export { createIommuDmaOps, createIommuStrategy, registerIommuStrategies } from './iommu-dma.ts';
export type { IommuDmaConfig, IommuMachine } from './iommu-dma.ts';
export { IovaDomain, BitmapIovaAllocator } from './iova.ts';
export type { IovaSpace } from './iova.ts';
