export { JIT_MODES, DEEP_INLINING_FLAGS, DEEP_JIT_MIN_SECONDS, resolveJit, applyJit, appliedJit } from './jit.ts';
export type { JitMode, JitChoice } from './jit.ts';
