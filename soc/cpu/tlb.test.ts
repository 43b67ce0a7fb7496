import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Tlb } from './tlb.ts';
import type { TlbConfig } from './tlb.ts';

/** The TLB as described: a round-robin fully associative micro-TLB over a round-robin-per-set main TLB. */
function referenceTlb(cfg: TlbConfig): (va: number) => number {
  const micro: number[] = new Array(cfg.microEntries).fill(-1);
  const sets = cfg.mainEntries / cfg.mainWays;
  const main: number[][] = Array.from({ length: sets }, () => new Array(cfg.mainWays).fill(-1));
  const next: number[] = new Array(sets).fill(0);
  let microNext = 0;
  let last = -1;
  return (va) => {
    const page = Math.floor(va / cfg.pageBytes);
    if (page === last) return 0;
    last = page;
    if (micro.includes(page)) return 0;
    micro[microNext] = page;
    microNext = (microNext + 1) % cfg.microEntries;
    const set = page % sets;
    if (main[set]!.includes(page)) return cfg.microMissCycles;
    main[set]![next[set]!] = page;
    next[set] = (next[set]! + 1) % cfg.mainWays;
    return cfg.microMissCycles + cfg.walkCycles;
  };
}

/** Addresses in pages whose numbers share their low 8 bits (the micro-TLB's presence counts collide). */
const pagesSharingLowBits = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2999 })).map(([k, j, off]) => (k * 256 + j) * 65536 + off);

describe('Tlb', () => {
  it('charges micro and main misses like the round-robin two-level model, for any page size and set count', () => {
    const configs: TlbConfig[] = [
      { microEntries: 32, mainEntries: 128, mainWays: 2, pageBytes: 4096, microMissCycles: 2, walkCycles: 20 },
      { microEntries: 3, mainEntries: 12, mainWays: 2, pageBytes: 3000, microMissCycles: 1, walkCycles: 9 },
      { microEntries: 4, mainEntries: 8, mainWays: 4, pageBytes: 65536, microMissCycles: 3, walkCycles: 7 },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...configs), fc.array(fc.oneof(fc.integer({ min: 0, max: 1 << 22 }), fc.integer({ min: 0, max: 2 ** 40 }), pagesSharingLowBits), { maxLength: 400 }), (cfg, vas) => {
        const tlb = new Tlb(cfg);
        const ref = referenceTlb(cfg);
        for (const va of vas) expect(tlb.access(va)).toBe(ref(va));
        // After a flush it starts over: like a new reference model.
        tlb.flush();
        const fresh = referenceTlb(cfg);
        for (const va of vas) expect(tlb.access(va)).toBe(fresh(va));
      }),
      { numRuns: 200 },
    );
  });
});
