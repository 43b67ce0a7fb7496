import { ns } from '../../emulator/kernel/time.ts';
import { lpddr2_800_2x32 } from '../dram/index.ts';
import { pl310ErrataFor } from '../cache/outer-cache.ts';
import type { Preset } from './preset.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Exynos4 MMIO blocks (REFERENCE §1 for the PL330s; the others from exynos4.dtsi, from memory — unverified). */
export const EXYNOS4_MMIO = {
  pdma0: { base: 0x1268_0000, size: 0x1000 },
  pdma1: { base: 0x1269_0000, size: 0x1000 },
  mdma1: { base: 0x1285_0000, size: 0x1000 },
  fimc0: { base: 0x1180_0000, size: 0x1000 },
  fimc1: { base: 0x1181_0000, size: 0x1000 },
  fimc2: { base: 0x1182_0000, size: 0x1000 },
  fimc3: { base: 0x1183_0000, size: 0x1000 },
  i2s0: { base: 0x0383_0000, size: 0x100 },
  sysmmu_fimc0: { base: 0x11a2_0000, size: 0x1000 },
  sysmmu_fimc1: { base: 0x11a3_0000, size: 0x1000 },
  sysmmu_fimc2: { base: 0x11a4_0000, size: 0x1000 },
  sysmmu_fimc3: { base: 0x11a5_0000, size: 0x1000 },
  scu: { base: 0x1050_0000, size: 0x100 },
  l2c310: { base: 0x1050_2000, size: 0x1000 },
} as const;

/**
 * Exynos 4210: 2× Cortex-A9 at 1.2 GHz, PL310 1 MiB 16-way 32 B lines, LPDDR2-800 on two 32-bit ports.
 * Latency parameters are calibrated to the 7-cpu.com lmbench-style figures (REFERENCE §1): L1 4 cycles,
 * L2 +19, micro-TLB miss and main-TLB miss a few cycles each, DRAM 37 cycles + ~110 ns.
 * PL310 revision r3p0 is an assumption (the 4210 predates the r3p2 of the 4412; unverified): it carries
 * erratum 727915 and not 588369.
 */
export const exynos4210: Preset = {
  name: 'exynos4210',
  description: 'Samsung Exynos 4210: 2x Cortex-A9 @ 1.2 GHz, PL310 r3p0 1 MiB, LPDDR2-800 2x32',
  cpu: {
    model: 'cortex-a9',
    cores: 2,
    hz: 1_200_000_000,
    timing: {
      l1LoadToUseCycles: 4,
      l1BytesPerCycle: 8,
      l1WritebackCycles: 2,
      scuTransferCycles: 12,
      scuInvalidateCycles: 6,
      memFixedLatencyPs: ns(33),
      uncachedBeatCycles: 2,
      deviceAccessBytes: 4,
      wcDrainCycles: 4,
    },
    tlb: { microEntries: 32, mainEntries: 128, mainWays: 2, pageBytes: 4096, microMissCycles: 7, walkCycles: 7 },
  },
  l1d: { sizeBytes: 32 * KiB, ways: 4, lineBytes: 32, replacement: 'random' },
  l2: {
    sizeBytes: 1 * MiB,
    ways: 16,
    lineBytes: 32,
    replacement: 'random',
    revision: 'r3p0',
    errata: pl310ErrataFor('r3p0'),
    workaround588369: true,
    workaround727915: 'debug-ctrl',
    wayOpThresholdBytes: 1 * MiB,
    hitCycles: 21,
    tagLatency: [2, 2, 1],
    dataLatency: [2, 2, 1],
    lineOpCycles: 30,
    writebackCycles: 8,
    syncCycles: 30,
    blockBytes: 4096,
    blockCycles: 20,
    wayOpCyclesPerLine: 1,
    debugCtrlCycles: 30,
  },
  l1Maintenance: { lineOpCycles: 4, writebackCycles: 4, barrierCycles: 10, invRangeStyle: 'modern' },
  dram: { base: 0x4000_0000, size: 1 * GiB, timing: lpddr2_800_2x32 },
  interconnect: { clockHz: 200_000_000, widthBytes: 16, hopLatencyCycles: 2 },
  cpuPort: { widthBytes: 8, maxBurstBeats: 4, maxOutstanding: 8 },
  busWidthBytes: 16,
  mmio: EXYNOS4_MMIO,
  coherency: { available: ['none', 'acp'], defaultMode: 'none' },
  kmallocMinAlign: 64,
  dmaMinAlign: 32,
  speculation: { enabled: false, meanIntervalNs: 2000, windowBytes: 4096 },
};
