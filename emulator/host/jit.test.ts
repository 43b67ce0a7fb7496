import { describe, it, expect } from 'vitest';
import { DEEP_JIT_MIN_SECONDS, resolveJit } from './jit.ts';

describe('resolveJit', () => {
  it('auto keeps V8 defaults for a short run and goes deep for a long one', () => {
    expect(resolveJit('auto', 2)).toBe('default');
    expect(resolveJit('auto', DEEP_JIT_MIN_SECONDS - 0.001)).toBe('default');
    expect(resolveJit('auto', DEEP_JIT_MIN_SECONDS)).toBe('deep');
    expect(resolveJit('auto', Infinity)).toBe('deep');
  });

  it('an explicit mode wins over the run length', () => {
    expect(resolveJit('deep', 0.01)).toBe('deep');
    expect(resolveJit('default', 3600)).toBe('default');
  });
});
