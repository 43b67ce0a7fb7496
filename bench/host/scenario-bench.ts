import { runScenario } from '../../devices/scenarios/index.ts';

export interface ScenarioBenchResult {
  /** Simulated time / host time of the default scenario (goal ≥ 10). */
  realtimeFactor: number;
  simulatedSeconds: number;
  hostMs: number;
  frames: number;
  periods: number;
}

/**
 * Host speed of the default scenario (`camera-audio`, direct strategy, exynos4412) with its frame checker on.
 * Host time is measured around the run only (set-up included, as a user sees it); never asserted in tests.
 */
export function benchScenario(opts: { seconds?: number; seed?: number } = {}): ScenarioBenchResult {
  const seconds = opts.seconds ?? 2;
  const t0 = performance.now();
  const r = runScenario('camera-audio', { seconds, seed: opts.seed ?? 1 });
  const hostMs = performance.now() - t0;
  return { realtimeFactor: seconds / (hostMs / 1000), simulatedSeconds: seconds, hostMs, frames: r.frames, periods: r.periods };
}
