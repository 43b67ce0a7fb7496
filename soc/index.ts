// The soc layer's public names: memory map, DRAM, interconnect, caches + memory system, cores, presets,
// IOMMU, and createSoc. Each folder's own index lists its names explicitly.
export * from './memory/index.ts';
export * from './dram/index.ts';
export * from './interconnect/index.ts';
export * from './iommu/index.ts';
export * from './cache/index.ts';
export * from './cpu/index.ts';
export * from './presets/index.ts';
export { createSoc } from './soc.ts';
export type { Soc, SocOptions } from './soc.ts';
