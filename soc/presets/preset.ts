import type { DramTimingConfig } from '../dram/index.ts';
import type { InterconnectConfig, MasterConfig } from '../interconnect/index.ts';
import type { CoherencyMode, CpuTimingConfig, L1Config, L1MaintenanceConfig } from '../cache/memory-system.ts';
import type { OuterCacheConfig } from '../cache/outer-cache.ts';
import type { SpeculationConfig } from '../cache/speculation.ts';
import type { TlbConfig } from '../cpu/tlb.ts';

/** An MMIO block of the SoC. */
export interface MmioBlock {
  base: number;
  size: number;
}

/** Everything that describes one SoC: the one input of createSoc. Times in CPU cycles unless named. */
export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly cpu: {
    readonly model: string;
    readonly cores: number;
    readonly hz: number;
    readonly timing: CpuTimingConfig;
    readonly tlb: TlbConfig;
  };
  readonly l1d: L1Config;
  readonly l2: OuterCacheConfig;
  readonly l1Maintenance: L1MaintenanceConfig;
  readonly dram: { readonly base: number; readonly size: number; readonly timing: DramTimingConfig };
  readonly interconnect: InterconnectConfig;
  /** The CPU cluster's master port on the interconnect (line fills, write-backs, table walks). */
  readonly cpuPort: Omit<MasterConfig, 'name'>;
  /** Bytes per beat of the main bus. */
  readonly busWidthBytes: number;
  readonly mmio: Readonly<Record<string, MmioBlock>>;
  readonly coherency: {
    /** Modes a device may be given on this SoC. */
    readonly available: readonly CoherencyMode[];
    /** What devices get unless a driver/device says otherwise. */
    readonly defaultMode: CoherencyMode;
  };
  /** ARCH_KMALLOC_MINALIGN and ARCH_DMA_MINALIGN of the modelled kernel. */
  readonly kmallocMinAlign: number;
  readonly dmaMinAlign: number;
  readonly speculation: SpeculationConfig;
}

export class PresetError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'PresetError';
  }
}
