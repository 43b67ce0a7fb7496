// Which (workload, strategy) pairs make sense, and why not when they don't.
import { getPreset } from '../../soc/presets/index.ts';
import type { WorkloadSpec } from './workloads.ts';

/** Null when the cell runs; otherwise the reason it does not. */
export function notApplicableReason(workload: WorkloadSpec, strategy: string, soc: string): string | null {
  if (strategy === 'acp' || strategy === 'ace-lite') {
    const available: readonly string[] = getPreset(soc).coherency.available;
    if (!available.includes(strategy)) {
      return `${soc} has no ${strategy === 'acp' ? 'ACP' : 'ACE-Lite'} port (coherency.available: ${available.join(', ')})`;
    }
  }
  if (strategy === 'dmabounce' && !workload.narrowMaskForDmabounce) {
    return 'the device reaches all of DRAM, and dmabounce only bounces what a device cannot reach: it would equal direct';
  }
  if ((strategy === 'coherent' || strategy === 'wc') && workload.pageCacheOnly) {
    return 'the block layer hands the driver page-cache pages to map_sg; they cannot come from dma_alloc_coherent/_wc (a copy into a coherent buffer is what swiotlb measures)';
  }
  return null;
}
