// How the host's JavaScript engine compiles the simulator: a process-wide setting, never a simulated one.
import { setFlagsFromString } from 'node:v8';

/**
 * `default`: V8's own inlining budget. `deep`: a larger one (DEEP_INLINING_FLAGS), for long-lived
 * processes. `auto`: deep when the process will simulate long enough to pay back the slower start
 * (see resolveJit).
 */
export type JitMode = 'auto' | 'default' | 'deep';
export const JIT_MODES: readonly JitMode[] = ['auto', 'default', 'deep'];
/** What `auto` comes down to for one process. */
export type JitChoice = Exclude<JitMode, 'auto'>;

/**
 * V8 flags of `deep`: the bytecode one inlined function may have (V8: 460) and the bytecode inlined into
 * one optimized function in all (V8: 920). The simulator's hot paths are chains of small methods (a CPU
 * load: TLB, L1, SCU snoop, L2, interconnect, DRAM, checker); with V8's budget a chain is cut into calls
 * part-way. Measured on the default scenario (docs/benchmarks.md): steady state about 15 % faster; the
 * first 2 simulated seconds about 40 % slower, as the larger functions take longer to compile. (A budget of
 * 3000 gave about 10 %; 6000 no more than 4500.)
 */
export const DEEP_INLINING_FLAGS: readonly string[] = ['--max-inlined-bytecode-size=920', '--max-inlined-bytecode-size-cumulative=4500'];

/**
 * Simulated seconds from which `auto` picks `deep` for one run. A single run of the default scenario
 * breaks even at about 20–25 s (the slower first seconds against the faster rest).
 */
export const DEEP_JIT_MIN_SECONDS = 30;

let applied: JitChoice = 'default';

/** What `mode` means for a process about to simulate `simulatedSeconds` in all (Infinity: a long-lived one). */
export function resolveJit(mode: JitMode, simulatedSeconds: number): JitChoice {
  if (mode !== 'auto') return mode;
  return simulatedSeconds >= DEEP_JIT_MIN_SECONDS ? 'deep' : 'default';
}

/**
 * Sets this process's V8 flags for `mode`, before the simulation's code gets hot (V8 reads them when it
 * optimizes a function: code optimized earlier keeps its inlining). `default` changes nothing: flags
 * cannot be reset once set, so a process that went deep stays deep.
 */
export function applyJit(mode: JitChoice): void {
  if (mode === 'deep' && applied !== 'deep') {
    for (const flag of DEEP_INLINING_FLAGS) setFlagsFromString(flag);
    applied = 'deep';
  }
}

/** The inlining this process's code is compiled with (as far as applyJit knows). */
export function appliedJit(): JitChoice {
  return applied;
}
