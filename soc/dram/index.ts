export { DramTiming, DRAM_ARRIVE, DRAM_STEP, DRAM_END } from './dram-timing.ts';
export { lpddr2_800_2x32, DramConfigError, delayToPs, validateDramConfig } from './dram-timing-config.ts';
export type { DramTimingConfig, DramDelay } from './dram-timing-config.ts';
