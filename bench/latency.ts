import { Rng } from '../emulator/kernel/index.ts';
import { createSoc } from '../soc/soc.ts';

export interface LatencyPoint {
  bytes: number;
  /** Average load-to-use latency of one dependent load, CPU cycles. */
  cycles: number;
  /** The same in ns at the preset's CPU clock. */
  ns: number;
}

export interface LatencyResult {
  soc: string;
  seed: number;
  /** How the chase visits lines. */
  pattern: 'shuffled' | 'stride';
  points: LatencyPoint[];
}

export interface LatencyOptions {
  seed?: number;
  minBytes?: number;
  maxBytes?: number;
  pattern?: 'shuffled' | 'stride';
  /** Dependent loads measured per working set (after one warm-up pass); default max(lines, 16384), capped at 65536. */
  loads?: number;
}

/**
 * lmbench lat_mem_rd-style dependent-load chase on core 0 of a simulated SoC: each line of the working set
 * holds the address of the next one, so every load waits for the previous. Pattern 'shuffled' (default)
 * links the lines in a random single cycle (Sattolo), defeating any stride prefetch and spreading pages
 * over the TLBs as 7-cpu.com's random-chase test does; 'stride' walks the lines in address order as
 * lat_mem_rd with stride = line size. Pointers are written straight to DRAM, then the chase runs
 * through the caches; one warm-up pass precedes the measured loads.
 */
export function runLatencyBench(presetName: string, opts: LatencyOptions = {}): LatencyResult {
  const seed = opts.seed ?? 1;
  const pattern = opts.pattern ?? 'shuffled';
  const points: LatencyPoint[] = [];
  const minBytes = opts.minBytes ?? 4096;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  for (let bytes = minBytes; bytes <= maxBytes; bytes *= 2) {
    const soc = createSoc(presetName, { seed, history: false, speculation: false });
    const ms = soc.memory;
    const lb = ms.lineBytes;
    const base = soc.preset.dram.base + 64 * 1024 * 1024;
    const lines = bytes / lb;
    const order = new Uint32Array(lines);
    for (let i = 0; i < lines; i++) order[i] = i;
    if (pattern === 'shuffled') {
      const rng = new Rng(seed ^ lines);
      for (let i = lines - 1; i > 0; i--) {
        const j = rng.int(i);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
    }
    // next[order[k]] = order[k+1]: one cycle through every line.
    const word = new Uint8Array(4);
    const view = new DataView(word.buffer);
    for (let k = 0; k < lines; k++) {
      const from = order[k]!;
      const to = order[(k + 1) % lines]!;
      view.setUint32(0, base + to * lb - soc.preset.dram.base, true);
      ms.deviceWrite('none', base + from * lb, word, 0, 4);
    }
    const core = soc.cores[0]!;
    let addr = base + order[0]! * lb;
    const chase = (n: number): number => {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const c = ms.cpuRead(0, addr, word, 0, 4);
        core.exec(c);
        total += c;
        addr = soc.preset.dram.base + view.getUint32(0, true);
      }
      return total;
    };
    chase(lines);
    const loads = opts.loads ?? Math.min(65536, Math.max(lines, 16384));
    const cycles = chase(loads) / loads;
    points.push({ bytes, cycles: Math.round(cycles * 100) / 100, ns: Math.round((cycles / soc.preset.cpu.hz) * 1e11) / 100 });
  }
  return { soc: presetName, seed, pattern, points };
}
