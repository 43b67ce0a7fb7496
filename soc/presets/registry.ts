import { arm64_64b } from './arm64-64b.ts';
import { exynos4210 } from './exynos4210.ts';
import { exynos4412 } from './exynos4412.ts';
import { PresetError } from './preset.ts';
import type { Preset } from './preset.ts';

const PRESETS: readonly Preset[] = [exynos4412, exynos4210, arm64_64b];
export const DEFAULT_PRESET = 'exynos4412';

export function presetNames(): string[] {
  return PRESETS.map((p) => p.name);
}

export function getPreset(name: string): Preset {
  const p = PRESETS.find((x) => x.name === name);
  if (p === undefined) throw new PresetError(`unknown SoC preset '${name}', expected one of: ${presetNames().join(', ')}`);
  return p;
}
