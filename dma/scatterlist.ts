// Scatterlist helpers (lib/scatterlist.c's sg_init_table / sg_set_buf, reduced to what drivers here need).
import type { ScatterEntry } from './types.ts';

/** A list of entries for `bufs` (CPU physical ranges), not yet DMA-mapped. */
export function sgInitTable(bufs: readonly { phys: number; length: number }[]): ScatterEntry[] {
  return bufs.map((b) => {
    if (!Number.isSafeInteger(b.phys) || !Number.isSafeInteger(b.length) || b.length <= 0) {
      throw new TypeError(`sgInitTable: expected {phys, length > 0}, got ${JSON.stringify(b)}`);
    }
    return { phys: b.phys, length: b.length, dmaAddress: 0, dmaLength: 0 };
  });
}

/** Total mapped length of the first `n` entries. */
export function sgDmaLength(sg: readonly ScatterEntry[], n = sg.length): number {
  let t = 0;
  for (let i = 0; i < n && i < sg.length; i++) t += sg[i]!.dmaLength;
  return t;
}
