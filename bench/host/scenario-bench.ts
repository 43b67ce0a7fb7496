import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../devices/scenarios/index.ts';

export interface ScenarioBenchResult {
  /** Simulated time / host time of the default scenario in steady state (goal ≥ 10). */
  realtimeFactor: number;
  /** The same in a fresh `dmasim run` process, JIT warm-up included, as a user's first run sees it (NaN when no CLI bundle is beside this code). */
  coldRealtimeFactor: number;
  /** The first run in this process (its code partly warmed by the groups that ran before it). */
  firstRunRealtimeFactor: number;
  simulatedSeconds: number;
  /** Median host time of the timed runs, set-up included. */
  hostMs: number;
  runs: number;
  frames: number;
  periods: number;
  seed: number;
}

/**
 * Host speed of the default scenario (`camera-audio`, direct strategy, exynos4412) with its frame checker
 * on. Steady state: one untimed warm-up run, then the median of `runs` timed runs, each timed around the
 * whole run (machine set-up included). Cold: a child `dmasim run --json` process reports its own host time.
 * Never asserted in tests.
 */
export function benchScenario(opts: { seconds?: number; seed?: number; runs?: number; cold?: boolean } = {}): ScenarioBenchResult {
  const seconds = opts.seconds ?? 2;
  const seed = opts.seed ?? 1;
  const runs = opts.runs ?? 3;
  const times: number[] = [];
  let frames = 0;
  let periods = 0;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const r = runScenario('camera-audio', { seconds, seed });
    times.push(performance.now() - t0);
    frames = r.frames;
    periods = r.periods;
  }
  const first = times[0]!;
  const timed = times.slice(1).sort((a, b) => a - b);
  const hostMs = timed[Math.floor(timed.length / 2)]!;
  return {
    realtimeFactor: seconds / (hostMs / 1000),
    coldRealtimeFactor: opts.cold === false ? NaN : coldFactor(seconds, seed),
    firstRunRealtimeFactor: seconds / (first / 1000),
    simulatedSeconds: seconds,
    hostMs,
    runs,
    frames,
    periods,
    seed,
  };
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
