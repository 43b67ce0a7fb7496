export { DramTiming } from './dram-timing.ts';
export { lpddr2_800_2x32, DramConfigError, delayToPs, validateDramConfig } from './dram-timing-config.ts';
export type { DramTimingConfig, DramDelay } from './dram-timing-config.ts';
