// Options shared by several commands, validated against what exists (presets, strategies).
import { presetNames, DEFAULT_PRESET } from '../../soc/presets/registry.ts';
import { createDmaMachine } from '../../dma/machine.ts';
import { UsageError } from './errors.ts';
import { choiceOption, intOption } from './options.ts';
import { JIT_MODES } from '../host/index.ts';
import type { JitMode } from '../host/index.ts';

export function socOption(value: unknown): string | undefined {
  return choiceOption('--soc', value, presetNames());
}

let strategyCache: string[] | null = null;
/** Every strategy a machine knows (built-ins and the IOMMU ones), in registry order. */
export function strategyNames(): string[] {
  strategyCache ??= createDmaMachine(DEFAULT_PRESET, { checker: false, debug: false }).sys.strategyNames();
  return strategyCache;
}

export function strategyOption(value: unknown): string | undefined {
  return choiceOption('--strategy', value, strategyNames());
}

export function seedOption(value: unknown): number | undefined {
  return intOption('--seed', value, 0, 0xffffffff);
}

/** --jit: how V8 compiles the simulator (emulator/host/jit.ts). */
export function jitOption(value: unknown): JitMode | undefined {
  return choiceOption('--jit', value, JIT_MODES);
}

/** Exit code for a run/replay that found violations: 1 under --strict, else 0 (the DESIGN's contract). */
export function violationExit(count: number, strict: unknown): number {
  return strict === true && count > 0 ? 1 : 0;
}

export function requireString(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`${flag}: expected a value`);
  return value;
}
