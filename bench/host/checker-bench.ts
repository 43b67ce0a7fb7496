// Host cost of the coherency checker (issue 7): the same trace of many small single mappings on an
// io-coherent device replayed with the checker on and off; `slowdown` = on / off (goal ≤ 2).
import { Replayer } from '../../traces/replay.ts';
import type { TraceOp } from '../../traces/schema.ts';
import { smallMappingOps } from './replay-bench.ts';

export interface CheckerBenchResult {
  /** Host time with the checker on over off (goal ≤ 2). */
  slowdown: number;
  msOn: number;
  msOff: number;
  ops: number;
}

function bestOf(ops: readonly TraceOp[], checker: boolean, rounds: number): number {
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    // dma-debug off in both runs: the figure is the checker's own cost.
    const r = new Replayer({ dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1 }, { name: 'checker-bench', checker, debug: false });
    const t0 = performance.now();
    for (let i = 0; i < ops.length; i++) r.apply(ops[i]!, i);
    best = Math.min(best, performance.now() - t0);
    if (checker && r.finish().violations.length !== 0) throw new Error('checker-bench: the bench trace must replay cleanly');
  }
  return best;
}

/** `pairs` map/unmap round trips of 64-byte buffers (5 ops each; default 20,000 → 100k ops). */
export function benchChecker(opts: { pairs?: number; rounds?: number } = {}): CheckerBenchResult {
  const ops = [...smallMappingOps(opts.pairs ?? 20_000)];
  const rounds = opts.rounds ?? 3;
  // Interleave so both settle to the same JIT state; take each one's best round.
  bestOf(ops, true, 1);
  bestOf(ops, false, 1);
  const msOn = bestOf(ops, true, rounds);
  const msOff = bestOf(ops, false, rounds);
  return { slowdown: Math.round((msOn / msOff) * 100) / 100, msOn: Math.round(msOn * 10) / 10, msOff: Math.round(msOff * 10) / 10, ops: ops.length };
}
