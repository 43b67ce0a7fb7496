export type { Preset, MmioBlock } from './preset.ts';
export { PresetError } from './preset.ts';
export { exynos4210, EXYNOS4_MMIO } from './exynos4210.ts';
export { exynos4412 } from './exynos4412.ts';
export { arm64_64b } from './arm64-64b.ts';
export { getPreset, presetNames, DEFAULT_PRESET } from './registry.ts';
