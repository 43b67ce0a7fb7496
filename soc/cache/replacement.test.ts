import { describe, it, expect } from 'vitest';
import { Rng } from '../../emulator/kernel/index.ts';
import { Cache, MESI_E } from './cache.ts';
import { CacheConfigError, makeGeometry } from './geometry.ts';
import type { ReplacementKind } from './replacement.ts';

// 4 sets x 2 ways x 32 B: lines 256 B apart share a set.
function cache(kind: ReplacementKind, seed = 1): Cache {
  return new Cache({ name: 't', sizeBytes: 256, ways: 2, lineBytes: 32, replacement: kind, rng: new Rng(seed) });
}

/** Accesses `pa` like a cache user: hit → touch, miss → fill the victim slot. Returns the evicted line or -1. */
function access(c: Cache, pa: number): number {
  const s = c.lookup(pa);
  if (s >= 0) {
    c.touch(s);
    return -1;
  }
  const v = c.victimSlot(pa);
  const evicted = c.isValid(v) ? c.lineAddr(v) : -1;
  c.install(v, pa, MESI_E);
  return evicted;
}

describe('cache structure', () => {
  it('indexes by set and keeps tags: lines one way-size apart share a set', () => {
    const c = cache('lru');
    expect(c.setOf(0x1000)).toBe(c.setOf(0x1000 + 128));
    access(c, 0x1000);
    expect(c.lookup(0x1010)).toBeGreaterThanOrEqual(0);
    expect(c.lineAddr(c.lookup(0x1010))).toBe(0x1000);
    expect(c.lookup(0x1000 + 128)).toBe(-1);
  });

  it('rejects impossible geometries and uncacheable addresses', () => {
    expect(() => makeGeometry('x', 1000, 4, 32)).toThrow(CacheConfigError);
    expect(() => makeGeometry('x', 32768, 4, 24)).toThrow(/lineBytes/);
    expect(() => cache('lru').lookup(2 ** 50)).toThrow(/not cacheable/);
  });
});

describe('replacement policies', () => {
  it('LRU evicts the least recently used way', () => {
    const c = cache('lru');
    access(c, 0);
    access(c, 128);
    access(c, 0); // 128 is now least recent
    expect(access(c, 256)).toBe(128);
  });

  it('round-robin cycles through the ways regardless of use', () => {
    const c = cache('round-robin');
    access(c, 0);
    access(c, 128);
    access(c, 0);
    expect(access(c, 256)).toBe(0);
    expect(access(c, 384)).toBe(128);
  });

  it('random is reproducible from the seed and uses every way', () => {
    const victims = (seed: number) => {
      const c = cache('random', seed);
      const out: number[] = [];
      for (let i = 0; i < 64; i++) out.push(access(c, i * 128));
      return out;
    };
    expect(victims(9)).toEqual(victims(9));
    const seen = new Set(victims(9).filter((v) => v >= 0).map((v) => (v / 128) % 2));
    expect(seen.size).toBe(2);
  });

  it('fills invalid ways before evicting', () => {
    const c = cache('round-robin');
    expect(access(c, 0)).toBe(-1);
    expect(access(c, 128)).toBe(-1);
  });
});
