import { pl310ErrataFor } from '../cache/outer-cache.ts';
import { exynos4210 } from './exynos4210.ts';
import type { Preset } from './preset.ts';

/**
 * Exynos 4412 (the default): 4× Cortex-A9 at 1.4 GHz (the Galaxy S III / Odroid-U2 clock; stated, not from
 * REFERENCE), PL310 r3p2 (REFERENCE §1, revision unverified) — past both modelled errata — with data RAM
 * latency 3/2/1 (exynos4x12.dtsi), i.e. one more L2 read cycle than the 4210 = +2 CPU cycles on an L2 hit
 * (the PL310 runs at half the CPU clock; assumption). Everything else as exynos4210.
 */
export const exynos4412: Preset = {
  ...exynos4210,
  name: 'exynos4412',
  description: 'Samsung Exynos 4412: 4x Cortex-A9 @ 1.4 GHz, PL310 r3p2 1 MiB, LPDDR2-800 2x32',
  cpu: { ...exynos4210.cpu, cores: 4, hz: 1_400_000_000 },
  l2: {
    ...exynos4210.l2,
    revision: 'r3p2',
    errata: pl310ErrataFor('r3p2'),
    hitCycles: exynos4210.l2.hitCycles + 2,
    dataLatency: [3, 2, 1],
  },
};
