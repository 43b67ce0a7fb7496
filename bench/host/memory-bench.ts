// Host speed of the memory system's hot paths (issues 8 and 9): CPU memcpy through the caches, cold
// streaming reads through DRAM, and the interconnect's atomic timing path, beside Uint8Array.set (the
// physical limit) measured in the same run. Figures are ratios of a noisy shared host; never asserted.
import { createSoc } from '../../soc/soc.ts';
import type { Soc } from '../../soc/soc.ts';
import { secondsPerCall } from './measure.ts';

const MiB = 1024 * 1024;

export interface MemoryBenchResult {
  /** memcpy of 1 MiB (cold-ish: larger than L2 hits, evictions and write-backs included), simulated bytes per host second. */
  cpuCopyBytesPerSec: number;
  /** memcpy of 8 KiB between two L1-resident buffers (all hits), simulated bytes per host second. */
  hotCopyBytesPerSec: number;
  /** Simulated bytes per host second of an 8 MiB cold read streaming through L1, L2 and DRAM. */
  coldReadBytesPerSec: number;
  /** Interconnect.access calls per host second (one 32-byte line each, CPU master, DRAM). */
  interconnectAccessesPerSec: number;
  /** Uint8Array.set of 1 MiB, bytes per host second: the physical limit in the same run. */
  uint8SetBytesPerSec: number;
}

export interface MemoryBenchOptions {
  /** Bytes per memcpy (default 1 MiB). */
  copyBytes?: number;
  /** Bytes of the cold streaming read (default 8 MiB). */
  coldBytes?: number;
  /** Interconnect.access calls (default 1e6). */
  accesses?: number;
}

function soc(): Soc {
  return createSoc('exynos4412', { seed: 1, history: false, speculation: false });
}

const time = (fn: () => void, minMs = 200): number => secondsPerCall(fn, minMs);

export function benchMemory(opts: MemoryBenchOptions = {}): MemoryBenchResult {
  const copyBytes = opts.copyBytes ?? MiB;
  const coldBytes = opts.coldBytes ?? 8 * MiB;
  const accesses = opts.accesses ?? 1_000_000;

  // memcpy between two 1 MiB buffers that together exceed the L1s and the L2 halves they map to.
  const s = soc();
  const ms = s.memory;
  const base = s.preset.dram.base + 16 * MiB;
  let flip = 0;
  const copy = time(() => {
    const a = base + (flip & 3) * 2 * copyBytes;
    ms.cpuCopy(0, a + copyBytes, a, copyBytes);
    flip++;
  });

  const hotBase = base + 12 * copyBytes;
  const hot = time(() => {
    ms.cpuCopy(1, hotBase + 16 * 1024, hotBase, 8192);
  });

  // Cold streaming read: a fresh SoC, every line misses L1 and L2.
  const cold = soc();
  const big = new Uint8Array(coldBytes);
  cold.memory.cpuRead(0, base, big, 0, 64 * 1024); // warm the JIT on another range
  const c0 = performance.now();
  cold.memory.cpuRead(0, base + 64 * MiB, big, 0, big.length);
  const coldSec = (performance.now() - c0) / 1000;

  // The atomic timing path on its own: one line per call, walking DRAM so rows and banks change.
  const ic = cold.interconnect;
  const m = cold.cpuMaster;
  let now = 0;
  for (let i = 0; i < 10_000; i++) now = ic.access(m, base + i * 32, 32, (i & 3) === 0, now);
  const a0 = performance.now();
  for (let i = 0; i < accesses; i++) now = ic.access(m, base + ((i * 32) % (32 * MiB)), 32, (i & 3) === 0, now - 1000);
  const accSec = (performance.now() - a0) / 1000;

  const from = new Uint8Array(MiB).fill(3);
  const to = new Uint8Array(MiB);
  const set = time(() => to.set(from));

  return {
    cpuCopyBytesPerSec: copyBytes / copy,
    hotCopyBytesPerSec: 8192 / hot,
    coldReadBytesPerSec: coldBytes / coldSec,
    interconnectAccessesPerSec: accesses / accSec,
    uint8SetBytesPerSec: MiB / set,
  };
}
