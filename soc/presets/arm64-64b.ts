import { lpddr2_800_2x32 } from '../dram/index.ts';
import { exynos4210 } from './exynos4210.ts';
import type { Preset } from './preset.ts';

const KiB = 1024;
const GiB = 1024 * 1024 * KiB;

/**
 * A 64-byte-line arm64-like SoC for the modern-kernel bugs (all assumptions): 4 cores at 1.8 GHz,
 * L1D 32 KiB 4-way 64 B, a 512 KiB 16-way 64 B L2 with no PL310 errata, by-VA maintenance to the PoC
 * reaching the L2 (DC CVAC/IVAC/CIVAC), io-coherent ports (ACE-Lite) available, kmalloc minimum
 * alignment 8 (v6.5, REFERENCE §4) with ARCH_DMA_MINALIGN = the 64-byte line. Same DRAM as Exynos4.
 */
export const arm64_64b: Preset = {
  ...exynos4210,
  name: 'arm64-64b',
  description: 'arm64-like: 4 cores @ 1.8 GHz, L1D 32 KiB/64 B, L2 512 KiB/64 B, ACE-Lite io-coherency, kmalloc minalign 8',
  cpu: { ...exynos4210.cpu, model: 'generic-armv8', cores: 4, hz: 1_800_000_000 },
  l1d: { sizeBytes: 32 * KiB, ways: 4, lineBytes: 64, replacement: 'lru' },
  l2: {
    ...exynos4210.l2,
    sizeBytes: 512 * KiB,
    lineBytes: 64,
    revision: 'r3p3',
    errata: { e588369: false, e727915: false },
    wayOpThresholdBytes: Infinity,
    hitCycles: 12,
  },
  l1Maintenance: { ...exynos4210.l1Maintenance, reachesL2: true },
  dram: { base: 0x4000_0000, size: 2 * GiB, timing: lpddr2_800_2x32 },
  coherency: { available: ['none', 'acp', 'ace-lite'], defaultMode: 'none' },
  kmallocMinAlign: 8,
  dmaMinAlign: 64,
};
