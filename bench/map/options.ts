// Options of `dmasim bench map`, with the kernel tool's flags, defaults and range checks
// (tools/dma/dma_map_benchmark.c and kernel/dma/map_benchmark.c): a bad value is a one-line usage
// error naming the flag, which the CLI maps to exit code 2.
import { UsageError } from '../../emulator/cli/errors.ts';
import { BUILTIN_STRATEGIES } from '../../dma/strategies.ts';
import type { CoherencyMode } from '../../dma/types.ts';
import { DEFAULT_PRESET, presetNames } from '../../soc/presets/registry.ts';
import { COHERENCY_MODES } from '../../soc/cache/memory-system.ts';

/** Bad `bench map` input; `name` is 'UsageError' (and it is one), so the CLI exits with 2. */
export class MapBenchUsageError extends UsageError {}

/** The kernel's limits (include/linux/map_benchmark.h). */
export const DMA_MAP_MAX_THREADS = 1024;
export const DMA_MAP_MAX_SECONDS = 300;
export const DMA_MAP_MAX_TRANS_DELAY_NS = 10_000_000;
export const DMA_MAP_MIN_BITS = 20;
export const DMA_MAP_MAX_BITS = 64;
export const DMA_MAP_MAX_GRANULE = 1024;
/** Loops per thread the simulation runs at most, host time being finite (the kernel runs for `-s` seconds). */
export const MAP_BENCH_MAX_ITERATIONS = 10_000_000;
/** Default loops per thread: 20000 for one thread of one page; see defaultMapBenchIterations. */
export const MAP_BENCH_DEFAULT_ITERATIONS = 20_000;
/** Default budget of loops summed over all threads, for one-page mappings. */
export const MAP_BENCH_DEFAULT_TOTAL_LOOPS = 200_000;
export const MAP_BENCH_MIN_DEFAULT_ITERATIONS = 16;

/** The direction names the tool prints, indexed by `-d`. */
export const MAP_BENCH_DIRECTIONS = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE'] as const;
export type MapBenchDirection = 0 | 1 | 2;

/** Strategies a device can be mapped with (the iommu ones are registered by every DmaMachine). */
export const MAP_BENCH_STRATEGIES: readonly string[] = [...BUILTIN_STRATEGIES.map((s) => s.name), 'iommu-strict', 'iommu-lazy'];

export interface MapBenchOptions {
  soc: string;
  strategy: string;
  seed: number;
  /** -t: kernel threads doing map/unmap loops. */
  threads: number;
  /** -s: SIMULATED seconds the run lasts at most. */
  seconds: number;
  /** -n: NUMA node of the threads and buffers (-1: any; the SoCs have one node, 0). */
  node: number;
  /** -b: the device's DMA mask bits. */
  bits: number;
  /** -d: 0 BIDIRECTIONAL, 1 TO_DEVICE, 2 FROM_DEVICE. */
  dir: MapBenchDirection;
  /** -x: ndelay() between map and unmap, ns (the simulated transfer). */
  delayNs: number;
  /** -g: buffer size in pages. */
  granule: number;
  /** Cap on loops per thread (host time); the simulated `seconds` still bound the run. */
  iterations: number;
  /** Whether `iterations` was given (false: the default for this granule and thread count). */
  iterationsGiven: boolean;
  /** Coherency of the benchmark device (its DT `dma-coherent`): 'none' (default), 'acp', 'ace-lite'. */
  coherency: CoherencyMode;
}

/**
 * Default loops per thread: 20000 one-page loops for one thread, at most 200000 over all threads, divided
 * by the granule (host time grows with the bytes mapped), and at least 16.
 */
export function defaultMapBenchIterations(granule: number, threads = 1): number {
  const perThread = Math.min(MAP_BENCH_DEFAULT_ITERATIONS, Math.floor(MAP_BENCH_DEFAULT_TOTAL_LOOPS / threads));
  return Math.max(MAP_BENCH_MIN_DEFAULT_ITERATIONS, Math.floor(perThread / granule));
}

function first(opts: Record<string, unknown>, keys: readonly string[]): { key: string; value: unknown } | undefined {
  for (const key of keys) if (opts[key] !== undefined) return { key, value: opts[key] };
  return undefined;
}

function flagName(key: string): string {
  return key.length === 1 ? `-${key}` : `--${key}`;
}

/** An integer flag (number or decimal text); `range` is the tool's message tail, e.g. "must be in 1-1024". */
function intFlag(opts: Record<string, unknown>, keys: readonly string[], def: number, min: number, max: number, what: string): number {
  const hit = first(opts, keys);
  if (hit === undefined) return def;
  const flag = flagName(hit.key);
  const v = hit.value;
  if (Array.isArray(v)) throw new MapBenchUsageError(`${flag}: given more than once`);
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^-?\d+$/.test(text)) throw new MapBenchUsageError(`${flag}: ${what}, must be an integer in ${min}-${max}, got "${String(v)}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new MapBenchUsageError(`${flag}: ${what}, must be in ${min}-${max}, got ${text}`);
  return n;
}

function choiceFlag<T extends string>(opts: Record<string, unknown>, key: string, def: T, choices: readonly T[], what: string): T {
  const v = opts[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new MapBenchUsageError(`--${key}: unknown ${what} ${JSON.stringify(Array.isArray(v) ? v.join(',') : v)}, expected one of: ${choices.join(', ')}`);
  }
  return v as T;
}

/**
 * Parses the CLI's option record (cac: `t`, `s`, `n`, `b`, `d`, `x`, `g`, or the long names threads,
 * seconds, node, bits, dir, delay, granule; `strategy`, `soc`, `seed`, `iterations`, `coherency`, `quick`).
 * Keys it does not know (json, html, jobs, …) are left to the caller.
 */
export function parseMapBenchArgs(opts: Record<string, unknown>): MapBenchOptions {
  const threads = intFlag(opts, ['t', 'threads'], 1, 1, DMA_MAP_MAX_THREADS, 'invalid number of threads');
  const seconds = intFlag(opts, ['s', 'seconds'], 20, 1, DMA_MAP_MAX_SECONDS, 'invalid number of seconds');
  // The SoCs have one memory node: the kernel's node_possible() accepts only 0 (or NUMA_NO_NODE, -1).
  const node = intFlag(opts, ['n', 'node'], -1, -1, 0, 'invalid numa node (the SoC has one node)');
  const bits = intFlag(opts, ['b', 'bits'], 32, DMA_MAP_MIN_BITS, DMA_MAP_MAX_BITS, 'invalid dma mask bit');
  const dir = intFlag(opts, ['d', 'dir'], 0, 0, 2, 'invalid dma direction (0 BIDIRECTIONAL, 1 TO_DEVICE, 2 FROM_DEVICE)') as MapBenchDirection;
  const delayNs = intFlag(opts, ['x', 'delay'], 0, 0, DMA_MAP_MAX_TRANS_DELAY_NS, 'invalid transmit delay (ns)');
  const granule = intFlag(opts, ['g', 'granule'], 1, 1, DMA_MAP_MAX_GRANULE, 'invalid granule size (pages)');
  const seed = intFlag(opts, ['seed'], 1, 0, 0xffff_ffff, 'invalid seed');
  const soc = choiceFlag(opts, 'soc', DEFAULT_PRESET, presetNames(), 'SoC preset');
  const strategy = choiceFlag(opts, 'strategy', 'direct', MAP_BENCH_STRATEGIES, 'DMA strategy');
  const coherency = choiceFlag(opts, 'coherency', 'none', COHERENCY_MODES, 'device coherency');
  const quick = opts['quick'] === true;
  const given = opts['iterations'] !== undefined;
  const full = defaultMapBenchIterations(granule, threads);
  const def = quick ? Math.max(MAP_BENCH_MIN_DEFAULT_ITERATIONS, Math.floor(full / 10)) : full;
  const iterations = intFlag(opts, ['iterations'], def, 1, MAP_BENCH_MAX_ITERATIONS, 'invalid iteration cap');
  return { soc, strategy, seed, threads, seconds, node, bits, dir, delayNs, granule, iterations, iterationsGiven: given, coherency };
}
