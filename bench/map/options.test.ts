import { describe, it, expect } from 'vitest';
import { MapBenchUsageError, parseMapBenchArgs, defaultMapBenchIterations } from './options.ts';

function usage(opts: Record<string, unknown>): Error {
  try {
    parseMapBenchArgs(opts);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`expected ${JSON.stringify(opts)} to be refused`);
}

describe('parseMapBenchArgs', () => {
  it('uses the kernel tool defaults', () => {
    const o = parseMapBenchArgs({});
    expect(o).toMatchObject({ threads: 1, seconds: 20, node: -1, bits: 32, dir: 0, delayNs: 0, granule: 1, soc: 'exynos4412', strategy: 'direct', seed: 1, coherency: 'none' });
    expect(o.iterations).toBe(20000);
    expect(o.iterationsGiven).toBe(false);
  });

  it('reads the short flags as cac hands them over (numbers or text)', () => {
    const o = parseMapBenchArgs({ t: 16, s: '10', n: 0, b: '40', d: 2, x: '1000', g: 256, strategy: 'iommu-lazy', iterations: '50', json: true });
    expect(o).toMatchObject({ threads: 16, seconds: 10, node: 0, bits: 40, dir: 2, delayNs: 1000, granule: 256, strategy: 'iommu-lazy', iterations: 50, iterationsGiven: true });
  });

  it('scales the default iteration cap down for large granules and many threads', () => {
    expect(defaultMapBenchIterations(1)).toBe(20000);
    expect(defaultMapBenchIterations(256)).toBe(78);
    expect(defaultMapBenchIterations(1024)).toBe(19);
    expect(defaultMapBenchIterations(1, 16)).toBe(12500);
    expect(defaultMapBenchIterations(1, 1024)).toBe(195);
    expect(defaultMapBenchIterations(1024, 1024)).toBe(16);
    expect(parseMapBenchArgs({ t: 16, g: 1 }).iterations).toBe(12500);
    expect(parseMapBenchArgs({ g: 1, quick: true }).iterations).toBe(2000);
  });

  it.each([
    [{ t: 0 }, /^-t: invalid number of threads, must be in 1-1024/],
    [{ t: 1025 }, /^-t: .*1-1024/],
    [{ s: 0 }, /^-s: invalid number of seconds, must be in 1-300/],
    [{ s: 301 }, /^-s: /],
    [{ x: -1 }, /^-x: invalid transmit delay.*0-10000000/],
    [{ x: 10_000_001 }, /^-x: /],
    [{ b: 19 }, /^-b: invalid dma mask bit, must be in 20-64/],
    [{ b: 65 }, /^-b: /],
    [{ d: 3 }, /^-d: invalid dma direction/],
    [{ g: 0 }, /^-g: invalid granule size.*1-1024/],
    [{ g: 1025 }, /^-g: /],
    [{ n: 1 }, /^-n: invalid numa node/],
    [{ n: -2 }, /^-n: /],
    [{ t: '4x' }, /^-t: .*must be an integer.*"4x"/],
    [{ t: [1, 2] }, /^-t: given more than once/],
    [{ iterations: 0 }, /^--iterations: /],
    [{ strategy: 'nope' }, /^--strategy: unknown DMA strategy "nope", expected one of: .*iommu-strict/],
    [{ soc: 'pc' }, /^--soc: unknown SoC preset "pc"/],
    [{ coherency: 'full' }, /^--coherency: /],
  ])('refuses %j with a one-line usage error naming the flag', (opts, message) => {
    const e = usage(opts);
    expect(e).toBeInstanceOf(MapBenchUsageError);
    expect(e.name).toBe('UsageError');
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });
});
