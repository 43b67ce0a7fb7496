// Turning a violation and its line's history into the one sentence and the fix a kernel developer needs.
import type { ViolationKind } from '../violation.ts';
import type { OwnedRange } from './ownership.ts';

export interface LineEventLike {
  kind: string;
  level: number;
  agent: number;
  time: number;
}
export interface LineHistoryLike {
  query(pa: number): LineEventLike[];
}

const LEVEL = ['memory', 'L1', 'L2'];
const DIR = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE'];

/** "speculativeFill into L1 of cpu1 at 2.100 µs, deviceWrite at 3.000 µs" */
export function describeLine(events: LineEventLike[], fmt: (ps: number) => string): string {
  return events
    .map((e) => {
      const where = e.level === 1 ? ` in L1 of cpu${e.agent}` : e.level === 2 ? ' in L2' : '';
      return `${e.kind}${where} at ${fmt(e.time)}`;
    })
    .join(', ');
}

export function hintFor(kind: ViolationKind, owner: OwnedRange | undefined, story: LineEventLike[]): string {
  const dir = owner ? DIR[owner.dir] : 'FROM_DEVICE';
  switch (kind) {
    case 'stale-cpu-read': {
      if (owner?.owner === 'device') {
        return `call dma_sync_single_for_cpu(${dir}) (or dma_unmap_single) before the CPU reads the buffer`;
      }
      // 588369 logs the combined operation on a clean line as a mere clean: the L2's last maintenance of a line
      // that L1 clean+invalidated being a clean (no invalidate) is its signature.
      const l2Ops = story.filter((e) => e.level === 2 && (e.kind === 'clean' || e.kind === 'invalidate' || e.kind === 'cleanInvalidate'));
      const erratumLike = l2Ops.length > 0 && l2Ops[l2Ops.length - 1]!.kind === 'clean' && story.some((e) => e.kind === 'cleanInvalidate' && e.level === 1);
      if (erratumLike) {
        return 'apply the PL310 erratum 588369 workaround (clean, then invalidate, with DEBUG_CTRL write-back and line-fill disabled) or use a revision ≥ r2p0';
      }
      if (story.some((e) => e.kind === 'speculativeFill')) {
        return 'invalidate the buffer again when it returns to the CPU (at dma_unmap / dma_sync_single_for_cpu): the CPU may speculatively refill lines while the device owns them';
      }
      return `invalidate the CPU caches for the buffer before reading device-written data (dma_sync_single_for_cpu(${dir}) or dma_unmap_single)`;
    }
    case 'stale-device-read':
      return 'clean the CPU caches before the device reads: map the buffer (dma_map_single TO_DEVICE) or call dma_sync_single_for_device after the CPU writes it';
    case 'lost-device-write':
      return 'make sure no dirty line covers a FROM_DEVICE buffer while the device writes: invalidate (or clean+invalidate) it at map time and keep CPU data out of its cache lines (align to ARCH_DMA_MINALIGN)';
    case 'lost-cpu-write':
      return 'align the buffer to the cache line (ARCH_DMA_MINALIGN, ____cacheline_aligned) or let it bounce (swiotlb): the invalidate of its edge line dropped CPU data sharing that line';
    case 'cpu-access-device-owned':
      return `do not touch the buffer while the device owns it: call dma_sync_single_for_cpu(${dir}) first and dma_sync_single_for_device before giving it back`;
    case 'mismatched-alias':
      return 'map the buffer to user space with the attributes of its allocation (dma_mmap_coherent / dma_mmap_attrs), never a cacheable remap_pfn_range of coherent memory';
    default:
      return 'see the DMA-API documentation (Documentation/core-api/dma-api.rst) for the rule this breaks';
  }
}
