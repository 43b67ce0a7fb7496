import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runScenario } from '../../devices/scenarios/index.ts';
import type { JitChoice } from '../../emulator/host/index.ts';

export interface ScenarioBenchResult {
  /** Simulated time / host time of the default scenario in steady state (goal ≥ 10), compiled as `deepJit` says. */
  realtimeFactor: number;
  /**
   * 1 when the steady state was timed with the deep inlining dmasim uses for long-lived processes
   * (emulator/host/jit.ts), 0 with V8's defaults.
   */
  deepJit: number;
  /** The steady state with V8's default inlining, timed in processes alternating with the others (the same figure when deepJit is 0). */
  realtimeFactorDefaultJit: number;
  /** The same in a fresh `dmasim run` process, JIT warm-up included, as a user's first run sees it (NaN when no CLI bundle is beside this code). */
  coldRealtimeFactor: number;
  /** The first run of each process that measured the steady state (the median over them). */
  firstRunRealtimeFactor: number;
  simulatedSeconds: number;
  /** Median host time of the timed runs of every process, set-up included. */
  hostMs: number;
  /** Timed runs per process. */
  runs: number;
  /**
   * Processes the steady state was timed in, each with its own warm-up (as pyperf does): one process's
   * JIT settles on its own inlining decisions, which moves its runs by several percent.
   */
  processes: number;
  /** Untimed runs before the timed ones (the first is also reported as firstRunRealtimeFactor). */
  warmups: number;
  frames: number;
  periods: number;
  seed: number;
  /** 1 when the runs were timed in a process of their own (the bundled CLI), 0 in this process (from sources). */
  isolated: number;
}

interface Timed {
  times: number[];
  frames: number;
  periods: number;
}

/**
 * Host speed of the default scenario (`camera-audio`, direct strategy, exynos4412) with its frame checker
 * on. Steady state: the median of the timed runs of `processes` processes, each timing `runs` runs (each
 * around the whole run, machine set-up included) after `warmups` untimed ones, in processes of their own
 * when the library bundle is beside this code (so the other benchmark groups' code does not share the
 * JIT's type feedback; from sources, one series in this process). The steady processes compile with
 * `jit` (default deep: the steady state is a long-lived process, where dmasim raises V8's inlining budget);
 * with deep, as many processes with V8's defaults alternate with them for realtimeFactorDefaultJit. Cold:
 * a fresh `dmasim run --json` (2 s: V8's defaults) reports its own host time. Never asserted in tests.
 */
export function benchScenario(
  opts: { seconds?: number; seed?: number; runs?: number; warmups?: number; processes?: number; cold?: boolean; jit?: JitChoice } = {},
): ScenarioBenchResult {
  const seconds = opts.seconds ?? 2;
  const seed = opts.seed ?? 1;
  const runs = opts.runs ?? 5;
  const warmups = opts.warmups ?? 2;
  const deep = (opts.jit ?? 'deep') === 'deep';
  const series: Timed[] = [];
  const defaultSeries: Timed[] = [];
  for (let p = 0; p < (opts.processes ?? 5); p++) {
    const child = timeInChild(seconds, seed, warmups + runs, deep);
    if (child === null) break;
    series.push(child);
    if (!deep) continue;
    const plain = timeInChild(seconds, seed, warmups + runs, false);
    if (plain !== null) defaultSeries.push(plain);
  }
  const isolated = series.length > 0;
  // From sources (no bundle to start children on), in this process as it was compiled.
  if (!isolated) series.push(timeRuns(runScenario, seconds, seed, warmups + runs));
  const steadyMs = (s: Timed[]) => median(s.flatMap((t) => t.times.slice(warmups)));
  const factor = (ms: number) => seconds / (ms / 1000);
  const hostMs = steadyMs(series);
  const deepJit = isolated && deep;
  const realtimeFactor = factor(hostMs);
  return {
    realtimeFactor,
    deepJit: deepJit ? 1 : 0,
    // NaN when no default-JIT process ran to the end.
    realtimeFactorDefaultJit: !deepJit ? realtimeFactor : defaultSeries.length > 0 ? factor(steadyMs(defaultSeries)) : NaN,
    coldRealtimeFactor: opts.cold === false ? NaN : coldFactor(seconds, seed),
    firstRunRealtimeFactor: factor(median(series.map((t) => t.times[0]!))),
    simulatedSeconds: seconds,
    hostMs,
    runs,
    processes: series.length,
    warmups,
    frames: series[0]!.frames,
    periods: series[0]!.periods,
    seed,
    isolated: isolated ? 1 : 0,
  };
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type RunScenario = (name: string, o: { seconds: number; seed: number }) => { frames: number; periods: number };

/** `runs` runs, each timed around the whole run. */
function timeRuns(run: RunScenario, seconds: number, seed: number, runs: number): Timed {
  const times: number[] = [];
  let frames = 0;
  let periods = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = run('camera-audio', { seconds, seed });
    times.push(performance.now() - t0);
    frames = r.frames;
    periods = r.periods;
  }
  return { times, frames, periods };
}

/** timeRuns in a child process (deep: compiled with applyJit('deep')) on the library bundle next to this one (dist/index.mjs), or null. */
function timeInChild(seconds: number, seed: number, runs: number, deep: boolean): Timed | null {
  const lib = fileURLToPath(new URL('./index.mjs', import.meta.url));
  if (!existsSync(lib) || !import.meta.url.endsWith('.mjs')) return null;
  const script =
    `const { runScenario, applyJit } = await import(${JSON.stringify(pathToFileURL(lib).href)});` +
    (deep ? `applyJit('deep');` : '') +
    `const times = []; let r;` +
    `for (let i = 0; i < ${runs}; i++) { const t0 = performance.now(); r = runScenario('camera-audio', { seconds: ${seconds}, seed: ${seed} }); times.push(performance.now() - t0); }` +
    `process.stdout.write(JSON.stringify({ times, frames: r.frames, periods: r.periods }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) return null;
  try {
    const t = JSON.parse(r.stdout) as Timed;
    return Array.isArray(t.times) && t.times.length === runs ? t : null;
  } catch {
    return null;
  }
}

/** realtimeFactor printed by a fresh `dmasim run --json` (the CLI bundle next to this one), or NaN. */
function coldFactor(seconds: number, seed: number): number {
  const cli = fileURLToPath(new URL('./dmasim.mjs', import.meta.url));
  if (!existsSync(cli)) return NaN;
  const r = spawnSync(process.execPath, [cli, 'run', '--json', '--no-progress', '--seconds', String(seconds), '--seed', String(seed)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return NaN;
  try {
    const doc = JSON.parse(r.stdout) as { stats?: { realtimeFactor?: unknown } };
    const f = doc.stats?.realtimeFactor;
    return typeof f === 'number' ? f : NaN;
  } catch {
    return NaN;
  }
}
