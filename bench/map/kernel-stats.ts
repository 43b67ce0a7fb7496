// The kernel's bookkeeping (kernel/dma/map_benchmark.c): each latency is truncated to whole 100 ns units,
// the units and their squares are summed, and at the end the mean is sum/loops and the standard deviation
// the integer square root of sumSq/loops - mean², all in integer arithmetic. The tool then prints the
// 100 ns figures divided by 10.0 with one decimal, so latencies under 100 ns count as 0.

/** Picoseconds per 100 ns unit. */
const PS_PER_100NS = 100_000;

export class Latency100ns {
  sum = 0;
  sumSq = 0;
  loops = 0;

  /** Adds one latency measured in ps (ktime in ns, then div 100). */
  add(ps: number): void {
    const units = Math.floor(ps / PS_PER_100NS);
    this.sum += units;
    this.sumSq += units * units;
    this.loops++;
  }

  /** Adds another accumulator (the kernel sums every thread into one atomic64). */
  merge(o: Latency100ns): void {
    this.sum += o.sum;
    this.sumSq += o.sumSq;
    this.loops += o.loops;
  }

  /** avg_*_100ns and *_stddev as the kernel computes them (0 when no loop ran). */
  summary(): { mean100ns: number; stddev100ns: number } {
    if (this.loops === 0) return { mean100ns: 0, stddev100ns: 0 };
    const mean = Math.floor(this.sum / this.loops);
    const variance = Math.floor(this.sumSq / this.loops) - mean * mean;
    return { mean100ns: mean, stddev100ns: intSqrt(variance) };
  }
}

/** int_sqrt64: the largest integer whose square is <= x. */
export function intSqrt(x: number): number {
  if (x <= 0) return 0;
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}
