export { CpuCore } from './cpu-core.ts';
export type { TimeSource } from './cpu-core.ts';
export { Tlb } from './tlb.ts';
export type { TlbConfig } from './tlb.ts';
