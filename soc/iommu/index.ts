export { IommuConfigError, IommuMapError } from './errors.ts';
export { IOMMU_READ, IOMMU_WRITE, WalkResult, pickPageSize } from './page-table.ts';
export type { IoPageTable, PageTableFormat, WalkPort, LeafSink } from './page-table.ts';
export { DirectTableCpu, TablePool } from './table-memory.ts';
export type { PageTableCpu } from './table-memory.ts';
export {
  SysmmuPageTable,
  SYSMMU_SECTION,
  SYSMMU_LARGE,
  SYSMMU_SMALL,
  SYSMMU_LV1_BYTES,
  SYSMMU_LV2_BYTES,
} from './sysmmu-pgtable.ts';
export { LpaePageTable, LPAE_AF, LPAE_SH_IS, LPAE_AP_RDONLY, LPAE_AP_UNPRIV, LPAE_NG } from './lpae-pgtable.ts';
export type { LpaeOptions } from './lpae-pgtable.ts';
export { Iotlb, SYSMMU_V2_IOTLB } from './iotlb.ts';
export type { IotlbConfig } from './iotlb.ts';
export { Iommu, TranslateResult, DEFAULT_IOMMU_TIMING } from './iommu.ts';
export type { IommuOptions, IommuTiming, IommuViolation, IommuViolationKind, WalkMemory, WalkBus, CounterSource } from './iommu.ts';
export { IommuDataPort } from './iommu-port.ts';
export type { DeviceDataPath } from './iommu-port.ts';
export { createPageTable } from './create.ts';
export { interconnectWalkBus } from './walk-bus.ts';
export { walkMemoryOf, deviceDataPathOf } from './adapters.ts';
export type { DeviceMemoryLike } from './adapters.ts';
