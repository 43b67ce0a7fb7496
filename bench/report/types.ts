// The data the strategy-matrix runner produces and the HTML report renders. Plain JSON-safe values only.

/** What one (workload, strategy) run measured. Byte counts are totals over the whole run. */
export interface StrategyMetrics {
  /** CPU cycles spent inside DMA-API calls (map/unmap/sync/alloc) per byte the device moved. */
  cpuCyclesPerByte: number;
  /** Bytes written back by cache clean operations. */
  bytesCleaned: number;
  /** Bytes dropped by cache invalidate operations. */
  bytesInvalidated: number;
  /** Bytes copied through bounce buffers (dmabounce, swiotlb). */
  bytesBounced: number;
  /** IOTLB hits / lookups as a fraction 0..1; null when the strategy has no IOMMU. */
  iotlbHitRate: number | null;
  /** Bytes read from or written to DRAM by every master (CPU refills/write-backs, device, bounce copies). */
  dramBytes: number;
  /** Frames or periods that completed after their deadline. */
  deadlineMisses: number;
  /** Violations (data corruption, API misuse) the run reported. */
  violations: number;
  /** Total CPU cycles inside DMA-API calls. */
  cpuCyclesInDmaApi: number;
  /** Payload bytes the device transferred (the denominator of the per-byte figures). */
  bytesMoved: number;
}

export interface StrategyCell {
  workload: string;
  strategy: string;
  /** False when the strategy makes no sense for the workload's device (then `reason` says why). */
  applicable: boolean;
  reason?: string;
  metrics?: StrategyMetrics;
}

export interface StrategyMatrix {
  soc: string;
  seed: number;
  workloads: string[];
  strategies: string[];
  /** One cell per (workload, strategy) pair. */
  cells: StrategyCell[];
  /** Per workload: the applicable strategies, best first. */
  ranking: Record<string, string[]>;
}
