// Violations as dmasim reports them (DESIGN.md "Violations"): API misuse found by dma-debug, and the
// coherency kinds the checker adds. Kind names are a stable contract.

export const API_VIOLATION_KINDS = [
  'unmap-unknown',
  'unmap-size-mismatch',
  'unmap-dir-mismatch',
  'unmap-wrong-function',
  'sg-count-mismatch',
  'sync-unmapped',
  'sync-out-of-range',
  'sync-dir-mismatch',
  'map-error-unchecked',
  'overlapping-cacheline',
  'leaked-mapping',
  'free-mismatch',
] as const;

export const COHERENCY_VIOLATION_KINDS = [
  'stale-cpu-read',
  'stale-device-read',
  'lost-device-write',
  'lost-cpu-write',
  'cpu-access-device-owned',
  'mismatched-alias',
  'iommu-fault',
  'stale-iotlb',
  'out-of-mask',
] as const;

export type ApiViolationKind = (typeof API_VIOLATION_KINDS)[number];
export type CoherencyViolationKind = (typeof COHERENCY_VIOLATION_KINDS)[number];
export type ViolationKind = ApiViolationKind | CoherencyViolationKind;

export interface Violation {
  kind: ViolationKind;
  /** Index of the operation in the trace (-1 outside a replay). */
  op: number;
  dev: string;
  addr: number;
  size: number;
  message: string;
  hint: string;
}

/** Where violations go; DmaSystem fills in `op`. */
export type ViolationSink = (kind: ViolationKind, dev: string, addr: number, size: number, message: string, hint: string) => void;
