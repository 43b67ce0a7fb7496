import { describe, it, expect } from 'vitest';
import { createLogger, childLogger, resolveLogLevel, LogLevelError } from './log.ts';

describe('log', () => {
  it('is silent under vitest unless a level is given explicitly', () => {
    expect(resolveLogLevel()).toBe('silent');
    expect(createLogger().level).toBe('silent');
    expect(createLogger({ level: 'debug' }).level).toBe('debug');
    expect(childLogger('dma').level).toBe('silent');
  });
  it('rejects unknown levels', () => {
    expect(() => resolveLogLevel('loud')).toThrow(LogLevelError);
  });
});
