// One timing loop for the host benches. The machine is shared and noisy: warm up, then time five batches of
// calls and keep the fastest, so a burst of outside load does not become the figure.

/** Host seconds per call of `fn`: the best of five batches filling `minMs` of host time together. */
export function secondsPerCall(fn: () => void, minMs = 150): number {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < minMs / 5) {
      fn();
      n++;
      t = performance.now();
    }
    best = Math.min(best, (t - t0) / 1000 / n);
  }
  return best;
}
