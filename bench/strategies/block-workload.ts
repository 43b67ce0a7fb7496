// A block-like driver: each request is a scatterlist over page-cache pages (physically scattered; contiguous
// neighbours merged into one segment as blk_rq_map_sg does), mapped with dma_map_sg. Reads (FROM_DEVICE):
// the device writes every mapped segment, the driver unmaps, the CPU reads the pages. Writes (TO_DEVICE):
// the pages hold data the CPU wrote earlier, the driver maps, the device reads, the driver unmaps.
import { DmaDirection, sgInitTable } from '../../dma/index.ts';
import type { ScatterEntry } from '../../dma/index.ts';
import { dma_map_sg, dma_unmap_sg } from '../../dma/mapping.ts';
import { PS_PER_NS } from '../../emulator/kernel/index.ts';
import type { RawCounts } from './metrics.ts';
import { advanceTo, countsOf, deviceTransfer, createDriverRig, NOISE_BYTES, sameBytes } from './driver-machine.ts';
import type { DriverRig } from './driver-machine.ts';

/** Driver parameters (assumptions, stated in docs/benchmarks.md). */
export const BLOCK_PARAMS = {
  pageBytes: 4096,
  /** The page-cache pool requests draw their pages from: 2 MiB, so 512-KiB requests scatter. */
  poolPages: 512,
  /** Request sizes in KiB and their weights (small requests dominate, as on a phone's eMMC). */
  sizesKiB: [4, 8, 16, 32, 64, 128, 256, 512],
  weights: [30, 10, 10, 10, 10, 10, 10, 10],
  /** Share of reads, in percent. */
  readPercent: 60,
  /** 200 MB/s storage: the medium's transfer time paces the loop. */
  mediumPsPerByte: 5 * PS_PER_NS,
  /** blk_queue_max_segment_size default (BLK_MAX_SEGMENT_SIZE): merged segments stop at 64 KiB. */
  maxSegmentBytes: 65536,
} as const;

export function requestBytes(rng: DriverRig['rng']): number {
  const total = BLOCK_PARAMS.weights.reduce((a, b) => a + b, 0);
  let pick = rng.int(total);
  for (let i = 0; i < BLOCK_PARAMS.weights.length; i++) {
    pick -= BLOCK_PARAMS.weights[i]!;
    if (pick < 0) return BLOCK_PARAMS.sizesKiB[i]! * 1024;
  }
  return 4096;
}

/** Picks `n` distinct pool pages (seeded partial shuffle) and builds the merged scatterlist. */
function buildRequest(pool: number[], n: number, rng: DriverRig['rng']): { pages: number[]; sg: ScatterEntry[] } {
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  const pages = pool.slice(0, n);
  const P = BLOCK_PARAMS;
  const segs: Array<{ phys: number; length: number }> = [];
  for (const pa of pages) {
    const last = segs[segs.length - 1];
    if (last !== undefined && last.phys + last.length === pa && last.length + P.pageBytes <= P.maxSegmentBytes) last.length += P.pageBytes;
    else segs.push({ phys: pa, length: P.pageBytes });
  }
  return { pages, sg: sgInitTable(segs) };
}

export function runBlockWorkload(strategy: string, soc: string, seed: number, requests: number): RawCounts {
  const rig = createDriverRig('blk0', 'block-like', strategy, soc, seed);
  const { machine, dev, rng, noise } = rig;
  const { sys, sim } = machine;
  const P = BLOCK_PARAMS;
  const pool: number[] = [];
  for (let i = 0; i < P.poolPages; i++) {
    const pa = sys.memory.allocPages(P.pageBytes);
    if (pa < 0) throw new RangeError('bench block: no memory for the page-cache pool');
    pool.push(pa);
  }
  const maxBytes = Math.max(...P.sizesKiB) * 1024;
  const expected = new Uint8Array(maxBytes);
  const seen = new Uint8Array(maxBytes);
  let moved = 0;
  let corrupt = 0;
  for (let r = 0; r < requests; r++) {
    const t0 = sim.now;
    const bytes = requestBytes(rng);
    const isRead = rng.int(100) < P.readPercent;
    const { pages, sg } = buildRequest(pool, bytes / P.pageBytes, rng);
    // The request's data, page by page, as windows into the noise block.
    for (let i = 0; i < pages.length; i++) {
      const from = rng.int(NOISE_BYTES - P.pageBytes);
      expected.set(noise.subarray(from, from + P.pageBytes), i * P.pageBytes);
    }
    const dir = isRead ? DmaDirection.FROM_DEVICE : DmaDirection.TO_DEVICE;
    if (!isRead) {
      for (let i = 0; i < pages.length; i++) sys.platform.cpuWrite(0, pages[i]!, expected, i * P.pageBytes, P.pageBytes, 'normal-wb');
    }
    const nents = dma_map_sg(dev, sg, sg.length, dir);
    if (nents <= 0) throw new RangeError(`bench block: dma_map_sg of ${bytes} bytes failed under ${strategy}`);
    let off = 0;
    for (let i = 0; i < nents; i++) {
      const e = sg[i]!;
      deviceTransfer(rig, e.dmaAddress, isRead ? expected : seen, off, e.dmaLength, isRead);
      off += e.dmaLength;
    }
    dma_unmap_sg(dev, sg, sg.length, dir);
    if (isRead) {
      for (let i = 0; i < pages.length; i++) sys.platform.cpuRead(0, pages[i]!, seen, i * P.pageBytes, P.pageBytes, 'normal-wb');
    }
    if (off !== bytes || !sameBytes(seen, expected, bytes)) corrupt++;
    moved += bytes;
    advanceTo(rig, t0 + bytes * P.mediumPsPerByte);
  }
  advanceTo(rig, sim.now + 20_000_000 * PS_PER_NS); // 20 ms: lazy IOMMU flush queues drain
  const counts = countsOf(rig, strategy, moved, corrupt);
  for (const pa of pool) sys.memory.freePages(pa);
  return counts;
}
