// The manifest of the bug catalog: each real, documented DMA coherency bug as a pair of JSONL traces in this
// folder (`<name>.buggy.jsonl` / `<name>.fixed.jsonl`, the first op's `comment` cites the source), the preset
// and strategy it runs on, and the replay options that model the kernel or hardware of the report.
import type { ReplayOptions } from '../replay.ts';
import type { ViolationKind } from '../../dma/violation.ts';

/** Replay options a catalog entry may set (the runner adds the seed). */
export type BugReplay = Pick<ReplayOptions, 'strategy' | 'soc' | 'speculation' | 'machine'>;

export interface BugEntry {
  name: string;
  title: string;
  /** The violation kind the buggy variant must show. */
  kind: ViolationKind;
  preset: string;
  strategy: string;
  /** The real-world report: thread, commit, bug id. */
  source: string;
  /** What goes wrong, in one sentence. */
  explanation: string;
  fix: string;
  /**
   * 'deterministic': the bug shows for every seed; 'speculation': the seeded speculation engine causes it, so
   * the seed is part of the bug and `--seeds N` counts how many of N seeds reproduce it.
   */
  seedPolicy: 'deterministic' | 'speculation';
  /** Options of the buggy and the fixed run (the trace header names preset, strategy and seed). */
  buggy: BugReplay;
  fixed: BugReplay;
  /** A deterministic sub-variant trace (`<name>.<variant>.jsonl`) run with the buggy options minus speculation. */
  deterministicVariant?: string;
  /** The kind the same buggy trace shows under iommu-strict (stale-iotlb only). */
  strictKind?: ViolationKind;
}

/** PL310 r1p0: erratum 588369 present (REFERENCE §2); the kernel's workaround on or off. */
const PL310_R1P0 = { revision: 'r1p0', errata: { e588369: true, e727915: false } } as const;

/** arm64 since v6.5: kmalloc objects 8-byte aligned, ARCH_DMA_MINALIGN 128 (REFERENCE §4). */
const ARM64_SMALL_KMALLOC = { kmallocMinAlign: 8, archDmaMinAlign: 128 } as const;

export const BUG_CATALOG: readonly BugEntry[] = [
  {
    name: 'speculative-prefetch',
    title: 'Speculative prefetch during a FROM_DEVICE transfer, no invalidate at unmap',
    kind: 'stale-cpu-read',
    preset: 'exynos4412',
    strategy: 'direct',
    source: "Russell King, linux-arm-kernel 2009 'How to efficiently handle DMA and cache on ARMv7?'; arch/arm/mm/dma-mapping.c header (dma_unmap_area, 2.6.34)",
    explanation:
      'While the device wrote the receive buffer, the Cortex-A9 speculatively refilled some of its lines with the old memory contents, and a kernel that does no maintenance at unmap lets the CPU read those stale lines.',
    fix: 'invalidate the buffer again when it returns to the CPU (dma_unmap_single / dma_sync_single_for_cpu), as ARM kernels do since 2.6.34',
    seedPolicy: 'speculation',
    buggy: { speculation: true, machine: { params: { unmapInvalidate: false } } },
    fixed: { speculation: true },
    deterministicVariant: 'prefetch',
  },
  {
    name: 'partial-cacheline',
    title: 'A 4-byte USB hub status buffer sharing a cache line with live CPU data',
    kind: 'lost-device-write',
    preset: 'arm64-64b',
    strategy: 'direct',
    source: "bugzilla.kernel.org 215740 ('DMA-API: dwc3 dwc3.0.auto: cacheline tracking EEXIST, overlapping mappings aren't supported, len 4'); moxart-ethernet, QAT reports",
    explanation:
      "The status buffer is embedded in a driver struct whose other fields share its 64-byte line; the CPU dirtied those fields during the transfer, and the line's write-back (eviction, or the clean+invalidate of the partial line at unmap) put the stale status bytes over the device's.",
    fix: 'give the DMA buffer its own cache lines (____cacheline_aligned / ARCH_DMA_MINALIGN, or a separate kmalloc on a kernel whose minalign is the line size), or let it bounce',
    seedPolicy: 'deterministic',
    buggy: { machine: { params: { ...ARM64_SMALL_KMALLOC } } },
    fixed: { machine: { params: { ...ARM64_SMALL_KMALLOC } } },
  },
  {
    name: 'dirty-eviction',
    title: 'Dirty lines evicted over device data when map(FROM_DEVICE) does no maintenance',
    kind: 'lost-device-write',
    preset: 'exynos4412',
    strategy: 'direct',
    source: "REFERENCE §9.3; Will Deacon, 'arm64: mm: Don't invalidate FROM_DEVICE buffers at start of DMA transfer' (v5.19) and the driver breakages it exposed",
    explanation:
      'The CPU left dirty lines over the receive buffer and the mapping did no cache maintenance (DMA_ATTR_SKIP_CPU_SYNC), so evicting those lines after the device wrote the buffer overwrote its data with the old CPU bytes.',
    fix: 'let dma_map_single do its maintenance for FROM_DEVICE (no SKIP_CPU_SYNC on a CPU-dirtied buffer): invalidate it, or, as arm64 since v5.19, clean it so nothing dirty remains',
    seedPolicy: 'deterministic',
    buggy: {},
    // The arm64 v5.19 form of the fix: map(FROM_DEVICE) cleans, so the CPU's bytes reach DRAM first and nothing
    // dirty is left to evict (plain invalidation would drop the CPU's bytes, which the checker reports too).
    fixed: { strategy: 'swiotlb', machine: { params: { swiotlbForce: false, swiotlbCleanFromDevice: true } } },
  },
  {
    name: 'missing-sync-for-cpu',
    title: 'A streaming trace buffer read without dma_sync_single_for_cpu (SOF)',
    kind: 'stale-cpu-read',
    preset: 'exynos4412',
    strategy: 'direct',
    source: 'thesofproject/linux PR #3457 (sync the DMA trace buffer for the CPU before copying it); enfiskutensykkel/ssd-gpu-dma#17; luigirizzo/netmap#409',
    explanation:
      "The host copied the DSP's long-lived FROM_DEVICE trace ring without dma_sync_single_for_cpu, so on the ring's second lap it read the lines its first copy had cached instead of the DSP's new data.",
    fix: 'call dma_sync_single_for_cpu before the CPU reads the buffer and dma_sync_single_for_device before giving it back',
    seedPolicy: 'deterministic',
    buggy: {},
    fixed: {},
  },
  {
    name: 'mismatched-alias',
    title: 'A coherent buffer mapped to user space with cacheable attributes',
    kind: 'mismatched-alias',
    preset: 'exynos4412',
    strategy: 'direct',
    source: 'raspberrypi/linux#4680 (remap_pfn_range of a coherent buffer reads stale data); Rebecca Schultz Zavin, linaro-mm-sig 2011; Gary King (NVIDIA) 2010',
    explanation:
      'The driver remapped a non-cacheable dma_alloc_coherent buffer into user space with a cacheable remap_pfn_range, so the same pages had two attribute sets and the user alias kept returning the cached first frame.',
    fix: 'map coherent memory to user space with dma_mmap_coherent / dma_mmap_attrs (the allocation\'s own attributes)',
    seedPolicy: 'deterministic',
    buggy: {},
    fixed: {},
  },
  {
    name: 'pl310-588369',
    title: 'PL310 erratum 588369: clean+invalidate leaves clean lines valid',
    kind: 'stale-cpu-read',
    preset: 'exynos4210',
    strategy: 'direct',
    source: 'ARM PL310 erratum 588369 (r0p0-r1p0, fixed in r2p0); arch/arm/mm/cache-l2x0.c CONFIG_PL310_ERRATA_588369; Russell King, linux-arm-kernel 2014-03',
    explanation:
      "On a PL310 r1p0 the clean+invalidate of the unaligned buffer's edge lines left those clean lines valid in L2, so after the transfer the CPU read the old bytes from L2.",
    fix: 'enable the 588369 workaround (separate clean and invalidate with DEBUG_CTRL write-back and line-fill disabled) or use a PL310 r2p0 or later',
    seedPolicy: 'deterministic',
    buggy: { machine: { l2: { ...PL310_R1P0, workaround588369: false } } },
    fixed: { machine: { l2: { ...PL310_R1P0, workaround588369: true } } },
  },
  {
    name: 'arm64-kmalloc-minalign',
    title: 'arm64 kmalloc minimum alignment 8 without the kmalloc bounce (swiotlb-xen, iMX8QXP USB)',
    kind: 'lost-device-write',
    preset: 'arm64-64b',
    strategy: 'swiotlb',
    source: "Catalin Marinas, 'mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8' (v6.5, lore 20230612153201.554742-1-catalin.marinas@arm.com): swiotlb-xen lacked dma_kmalloc_needs_bounce, USB corruption on iMX8QXP",
    explanation:
      'Four 16-byte URB buffers from kmalloc shared one 64-byte line, and with no kmalloc bounce the CPU resubmitting one URB dirtied the line whose write-back then overwrote the data another in-flight URB had received.',
    fix: 'apply dma_kmalloc_needs_bounce in every dma_map_ops (small unaligned FROM_DEVICE/BIDIRECTIONAL kmalloc buffers bounce through swiotlb), or use ARCH_DMA_MINALIGN-aligned buffers',
    seedPolicy: 'deterministic',
    buggy: { machine: { params: { ...ARM64_SMALL_KMALLOC, kmallocBounce: false, swiotlbForce: false } } },
    fixed: { machine: { params: { ...ARM64_SMALL_KMALLOC, kmallocBounce: true, swiotlbForce: false } } },
  },
  {
    name: 'stale-iotlb',
    title: 'A device using a DMA handle after unmap under lazy IOMMU invalidation',
    kind: 'stale-iotlb',
    preset: 'exynos4412',
    strategy: 'iommu-lazy',
    source: 'REFERENCE §9.10: lazy invalidation (iommu.strict=0, the IOVA flush queue) leaves an exposure window after unmap; gem5 issue #548 (a device TLB kept a stale translation)',
    explanation:
      'The camera kept writing through its DMA address after the driver unmapped it, and because the lazy IOMMU defers the IOTLB flush the write still reached the old page through the stale IOTLB entry (strict mode faults instead).',
    fix: 'stop the device (and wait for it) before dma_unmap; iommu.strict=1 turns the silent write into an IOMMU fault',
    seedPolicy: 'deterministic',
    buggy: {},
    fixed: {},
    strictKind: 'iommu-fault',
  },
  {
    name: 'map-error-unchecked',
    title: 'A DMA handle used without dma_mapping_error',
    kind: 'map-error-unchecked',
    preset: 'exynos4412',
    strategy: 'direct',
    source: "REFERENCE §7: dma-debug 'device driver failed to check map error' (real lines from snd_hda_intel 0000:03:00.1 and mxs-dcp 2280000.crypto)",
    explanation: 'The driver handed the device a DMA address without checking it with dma_mapping_error, so a failed mapping (swiotlb full, IOVA space exhausted) would have sent the device to DMA_MAPPING_ERROR.',
    fix: 'check every handle with dma_mapping_error() before giving it to the device',
    seedPolicy: 'deterministic',
    buggy: {},
    fixed: {},
  },
  {
    name: 'leaked-mapping',
    title: 'A mapping still live when the driver is unbound',
    kind: 'leaked-mapping',
    preset: 'exynos4412',
    strategy: 'direct',
    source: "REFERENCE §7: dma-debug 'device driver has pending DMA allocations while released from device'",
    explanation: "The driver's remove path released the device while its receive buffer was still mapped, leaking the mapping (and, under an IOMMU or swiotlb, its IOVA or bounce slot).",
    fix: 'unmap or free every DMA mapping in the remove and error paths before the device is released',
    seedPolicy: 'deterministic',
    buggy: {},
    fixed: {},
  },
  {
    name: 'dmabounce-dir-mismatch',
    title: 'Unmapping with a different direction on a dmabounce platform',
    kind: 'unmap-dir-mismatch',
    preset: 'exynos4412',
    strategy: 'dmabounce',
    source: "REFERENCE §9.8 (arch/arm/common/dmabounce.c: a direction mismatch at unmap hits BUG_ON); dma-debug 'device driver frees DMA memory with different direction'",
    explanation: 'The driver mapped a receive buffer FROM_DEVICE and unmapped it as TO_DEVICE, so the unmap skipped the work a FROM_DEVICE buffer needs (the invalidate, or the copy back of a bounced buffer).',
    fix: 'pass dma_unmap_*() the direction given to dma_map_*()',
    seedPolicy: 'deterministic',
    buggy: {},
    fixed: {},
  },
];

export function findBug(name: string): BugEntry | undefined {
  return BUG_CATALOG.find((b) => b.name === name);
}
