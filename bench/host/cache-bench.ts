import { createSoc } from '../../soc/soc.ts';
import type { Soc } from '../../soc/soc.ts';
import { secondsPerCall } from './measure.ts';

const MiB = 1024 * 1024;

export interface CacheBenchResult {
  /** Lines of a 1 MiB range per host second through dma_map (FROM_DEVICE: L1 invalidate + PL310 invalidate, both per line). */
  maintLinesPerSec: number;
  /** Host time of a TO_DEVICE map of 64 MiB over that of 1 MiB (goal ≤ 4). */
  clean64MiBvs1MiB: number;
  /** Simulated CPU cycles of the same two maps (they must grow with the range). */
  clean1MiBCycles: number;
  clean64MiBCycles: number;
  /** Same ratio for the outer invalidate, which never switches to by-way (host walks the cache). */
  inv64MiBvs1MiB: number;
  inv1MiBCycles: number;
  inv64MiBCycles: number;
  /** Simulated bytes per host second read by a core from an L1-resident 16 KiB buffer in 4 KiB reads. */
  cpuReadBytesPerSec: number;
  /** Simulated bytes per host second read streaming through L1, L2 and DRAM (8 MiB, cold). */
  cpuReadStreamBytesPerSec: number;
  /** memcpy of 8 KiB between two L1-resident buffers, simulated bytes per host second. */
  memcpyBytesPerSec: number;
  /** The physical limit in the same run: Uint8Array.set of 8 KiB, bytes per host second. */
  uint8SetBytesPerSec: number;
}

function soc(): Soc {
  return createSoc('exynos4412', { seed: 1, history: false, speculation: false });
}

const time = (fn: () => void, minMs = 150): number => secondsPerCall(fn, minMs);

export function benchCache(): CacheBenchResult {
  const s = soc();
  const ms = s.memory;
  const base = s.preset.dram.base + 16 * MiB;
  const junk = new Uint8Array(64 * 1024).fill(1);
  // Some dirty data in the caches so maintenance has real work.
  for (let i = 0; i < 8; i++) ms.cpuWrite(i % 4, base + i * 128 * 1024, junk, 0, junk.length);

  const maint = time(() => ms.dmaPageCpuToDev(0, base, MiB, 'FROM_DEVICE'));
  const clean1 = time(() => ms.dmaPageCpuToDev(0, base, MiB, 'TO_DEVICE'));
  const clean64 = time(() => ms.dmaPageCpuToDev(0, base, 64 * MiB, 'TO_DEVICE'));
  const inv1 = time(() => ms.outerInvRange(base, MiB));
  const inv64 = time(() => ms.outerInvRange(base, 64 * MiB));
  const cycles = (f: () => number) => f();
  const clean1MiBCycles = cycles(() => ms.dmaPageCpuToDev(0, base, MiB, 'TO_DEVICE'));
  const clean64MiBCycles = cycles(() => ms.dmaPageCpuToDev(0, base, 64 * MiB, 'TO_DEVICE'));
  const inv1MiBCycles = ms.outerInvRange(base, MiB);
  const inv64MiBCycles = ms.outerInvRange(base, 64 * MiB);

  const buf = new Uint8Array(16 * 1024);
  ms.cpuRead(1, base, buf, 0, buf.length);
  let k = 0;
  const hot = time(() => {
    ms.cpuRead(1, base + (k++ & 3) * 4096, buf, 0, 4096);
  });

  const cold = soc();
  const big = new Uint8Array(8 * MiB);
  const t0 = performance.now();
  cold.memory.cpuRead(0, base, big, 0, big.length);
  const stream = (performance.now() - t0) / 1000;

  ms.cpuRead(2, base + 32 * 1024, buf, 0, 8192);
  const copy = time(() => {
    ms.cpuCopy(2, base + 32 * 1024, base + 48 * 1024, 8192);
  });
  const a = new Uint8Array(8192);
  const b = new Uint8Array(8192);
  const set = time(() => {
    for (let i = 0; i < 64; i++) a.set(b);
  });

  return {
    maintLinesPerSec: MiB / 32 / maint,
    clean64MiBvs1MiB: clean64 / clean1,
    clean1MiBCycles,
    clean64MiBCycles,
    inv64MiBvs1MiB: inv64 / inv1,
    inv1MiBCycles,
    inv64MiBCycles,
    cpuReadBytesPerSec: 4096 / hot,
    cpuReadStreamBytesPerSec: big.length / stream,
    memcpyBytesPerSec: 8192 / copy,
    uint8SetBytesPerSec: (64 * 8192) / set,
  };
}
