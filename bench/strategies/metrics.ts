// Turns the raw counters of one run into the matrix's per-cell metrics (bench/report/types.ts).
import type { StrategyMetrics } from '../report/types.ts';

/** What a workload run counted; every field is a total over the run. */
export interface RawCounts {
  /** dma.cycles: CPU cycles charged inside DMA-API calls. */
  dmaCycles: number;
  /** dma.bytesCleaned / dma.bytesInvalidated / dma.bytesFlushed (a flush is a clean and an invalidate). */
  bytesCleaned: number;
  bytesInvalidated: number;
  bytesFlushed: number;
  bytesBounced: number;
  /** IOTLB hits and misses over every IOMMU; null when the strategy has no IOMMU. */
  iotlb: { hits: number; misses: number } | null;
  /** DRAM controller bytes read + written, every master. */
  dramBytes: number;
  deadlineMisses: number;
  violations: number;
  /** Payload bytes the device moved. */
  bytesMoved: number;
}

export function toMetrics(raw: RawCounts): StrategyMetrics {
  const lookups = raw.iotlb === null ? 0 : raw.iotlb.hits + raw.iotlb.misses;
  return {
    cpuCyclesPerByte: raw.bytesMoved > 0 ? raw.dmaCycles / raw.bytesMoved : 0,
    bytesCleaned: raw.bytesCleaned + raw.bytesFlushed,
    bytesInvalidated: raw.bytesInvalidated + raw.bytesFlushed,
    bytesBounced: raw.bytesBounced,
    iotlbHitRate: raw.iotlb === null ? null : lookups === 0 ? 0 : raw.iotlb.hits / lookups,
    dramBytes: raw.dramBytes,
    deadlineMisses: raw.deadlineMisses,
    violations: raw.violations,
    cpuCyclesInDmaApi: raw.dmaCycles,
    bytesMoved: raw.bytesMoved,
  };
}

/** Sum of the iommu.<master>.<suffix> counters in a Stats JSON snapshot. */
export function sumIommuCounters(all: Record<string, unknown>, suffix: string): number {
  let total = 0;
  for (const [name, v] of Object.entries(all)) {
    if (name.startsWith('iommu.') && name.endsWith(suffix) && typeof v === 'number') total += v;
  }
  return total;
}

export const isIommuStrategy = (strategy: string): boolean => strategy.startsWith('iommu');
