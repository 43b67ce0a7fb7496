// The metrics the report shows: how each appears in the ranking table and, where a chart helps, how it is
// charted. Byte totals are charted per byte moved so workloads of very different sizes share one axis.
import { formatBytes, formatInteger, formatPercent, formatRatio } from './format.ts';
import type { StrategyMetrics } from './types.ts';

export interface TableColumn {
  header: string;
  /** Shown as a tooltip on the column header. */
  help: string;
  text(metrics: StrategyMetrics): string;
  /** The exact value, shown as a tooltip on the cell when `text` rounds. */
  exact?(metrics: StrategyMetrics): string;
  /** Highlight the cell (e.g. a non-zero violation count). */
  alarming?(metrics: StrategyMetrics): boolean;
}

export interface ChartMetric {
  id: string;
  title: string;
  unit: string;
  help: string;
  /** A count: whole-number axis ticks. */
  integer?: boolean;
  /** The charted value; null draws no bar (e.g. no IOMMU, nothing moved). */
  value(metrics: StrategyMetrics): number | null;
}

const perByteMoved = (bytes: number, metrics: StrategyMetrics): number | null =>
  metrics.bytesMoved > 0 ? bytes / metrics.bytesMoved : null;

const bytesColumn = (header: string, help: string, pick: (m: StrategyMetrics) => number): TableColumn => ({
  header,
  help,
  text: (m) => formatBytes(pick(m)),
  exact: (m) => `${formatInteger(pick(m))} bytes`,
});

export const TABLE_COLUMNS: readonly TableColumn[] = [
  {
    header: 'CPU cycles / byte',
    help: 'CPU cycles spent inside DMA-API calls per byte the device moved',
    text: (m) => formatRatio(m.cpuCyclesPerByte),
    exact: (m) => String(m.cpuCyclesPerByte),
  },
  {
    header: 'cycles in DMA API',
    help: 'total CPU cycles inside map/unmap/sync/alloc calls',
    text: (m) => formatInteger(m.cpuCyclesInDmaApi),
  },
  bytesColumn('moved', 'payload bytes the device transferred', (m) => m.bytesMoved),
  bytesColumn('cleaned', 'bytes written back by cache clean operations', (m) => m.bytesCleaned),
  bytesColumn('invalidated', 'bytes dropped by cache invalidate operations', (m) => m.bytesInvalidated),
  bytesColumn('bounced', 'bytes copied through bounce buffers', (m) => m.bytesBounced),
  {
    header: 'IOTLB hit rate',
    help: 'IOTLB hits per lookup; \u2014 when the strategy uses no IOMMU',
    text: (m) => formatPercent(m.iotlbHitRate),
  },
  bytesColumn('DRAM traffic', 'bytes read from and written to DRAM by all masters', (m) => m.dramBytes),
  {
    header: 'deadline misses',
    help: 'frames or periods that completed late',
    text: (m) => formatInteger(m.deadlineMisses),
    alarming: (m) => m.deadlineMisses > 0,
  },
  {
    header: 'violations',
    help: 'coherency violations and DMA-API misuse reported',
    text: (m) => formatInteger(m.violations),
    alarming: (m) => m.violations > 0,
  },
];

export const CHART_METRICS: readonly ChartMetric[] = [
  {
    id: 'cpu-cycles-per-byte',
    title: 'CPU cycles per byte in DMA-API calls',
    unit: 'cycles / byte',
    help: 'Lower is better: CPU time the mapping strategy costs per byte of DMA.',
    value: (m) => m.cpuCyclesPerByte,
  },
  {
    id: 'cleaned-per-byte',
    title: 'Cache clean per byte moved',
    unit: 'bytes cleaned / byte moved',
    help: '1.0 means every byte moved was written back from the cache once.',
    value: (m) => perByteMoved(m.bytesCleaned, m),
  },
  {
    id: 'invalidated-per-byte',
    title: 'Cache invalidate per byte moved',
    unit: 'bytes invalidated / byte moved',
    help: 'Invalidations at map, unmap and sync_for_cpu, relative to the payload.',
    value: (m) => perByteMoved(m.bytesInvalidated, m),
  },
  {
    id: 'bounced-per-byte',
    title: 'Bounce copies per byte moved',
    unit: 'bytes bounced / byte moved',
    help: 'Copies through dmabounce or swiotlb buffers; 0 for strategies that never bounce.',
    value: (m) => perByteMoved(m.bytesBounced, m),
  },
  {
    id: 'iotlb-hit-rate',
    title: 'IOTLB hit rate',
    unit: '% of lookups',
    help: 'Only strategies that translate through an IOMMU have a bar.',
    value: (m) => (m.iotlbHitRate === null ? null : m.iotlbHitRate * 100),
  },
  {
    id: 'dram-per-byte',
    title: 'DRAM traffic per byte moved',
    unit: 'DRAM bytes / byte moved',
    help: 'All masters together; above 2 means extra copies or write-backs on top of one write and one read.',
    value: (m) => perByteMoved(m.dramBytes, m),
  },
  {
    id: 'deadline-misses',
    title: 'Deadline misses',
    unit: 'frames / periods',
    integer: true,
    help: 'Frames or audio periods that completed after their deadline.',
    value: (m) => m.deadlineMisses,
  },
  {
    id: 'violations',
    title: 'Violations',
    unit: 'count',
    integer: true,
    help: 'Coherency violations and DMA-API misuse; anything above 0 is a correctness problem.',
    value: (m) => m.violations,
  },
];
