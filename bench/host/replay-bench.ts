// Host speed of trace replay (issue 9): small single mappings on an io-coherent device with the checker
// on, replayed op by op through the Replayer, against the same DMA-API calls made directly in the same run.
import { Replayer } from '../../traces/replay.ts';
import type { TraceOp } from '../../traces/schema.ts';
import { createDmaMachine } from '../../dma/machine.ts';
import { dma_map_single, dma_mapping_error, dma_unmap_single } from '../../dma/mapping.ts';
import { DmaDirection } from '../../dma/types.ts';

export interface ReplayBenchResult {
  /** Trace operations replayed per host second (goal ≥ 1,000,000). */
  replayOpsPerSec: number;
  /** The same DMA-API calls (map, mapping_error, unmap) made directly on a machine with the checker on, per second. */
  directCallsPerSec: number;
  /** replayOpsPerSec / directCallsPerSec: what the replayer's decoding of operations costs. */
  vsDirectCalls: number;
  ops: number;
}

/**
 * Small single mappings of 64-byte buffers (round robin over 64 pages), with the data moving so the checker
 * compares versions: TO_DEVICE = cpu_write, map, mapping_error, dev_read, unmap; FROM_DEVICE = map,
 * mapping_error, dev_write, unmap, cpu_read.
 */
export function* smallMappingOps(pairs: number): Generator<TraceOp> {
  yield { op: 'device', name: 'bench-dev', coherent: true, dmaMask: 32, iommu: false };
  yield { op: 'alloc_pages', buf: 'pool', size: 64 * 4096 };
  const dev = 'bench-dev';
  for (let i = 0; i < pairs; i++) {
    const offset = (i % 64) * 4096;
    if (i % 2 === 0) {
      yield { op: 'cpu_write', buf: 'pool', offset, len: 64, byte: i & 0xff };
      yield { op: 'map_single', dev, buf: 'pool', offset, size: 64, dir: 'TO_DEVICE', handle: 'h' };
      yield { op: 'mapping_error', dev, handle: 'h' };
      yield { op: 'dev_read', dev, handle: 'h', offset: 0, len: 64 };
      yield { op: 'unmap_single', dev, handle: 'h', size: 64, dir: 'TO_DEVICE' };
    } else {
      yield { op: 'map_single', dev, buf: 'pool', offset, size: 64, dir: 'FROM_DEVICE', handle: 'h' };
      yield { op: 'mapping_error', dev, handle: 'h' };
      yield { op: 'dev_write', dev, handle: 'h', offset: 0, len: 64, byte: i & 0xff };
      yield { op: 'unmap_single', dev, handle: 'h', size: 64, dir: 'FROM_DEVICE' };
      yield { op: 'cpu_read', buf: 'pool', offset, len: 64 };
    }
  }
}

export function benchReplay(opts: { pairs?: number } = {}): ReplayBenchResult {
  const pairs = opts.pairs ?? 200_000;
  const ops = [...smallMappingOps(pairs)];
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const r = new Replayer({ dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1 }, { name: 'bench' });
    const t0 = performance.now();
    for (let i = 0; i < ops.length; i++) r.apply(ops[i]!, i);
    best = Math.min(best, performance.now() - t0);
    if (r.finish().violations.length !== 0) throw new Error('replay-bench: the bench trace must replay cleanly');
  }
  const m = createDmaMachine('exynos4412', { seed: 1 });
  const dev = m.addDevice({ name: 'bench-dev', dmaMaskBits: 32, coherency: 'acp' });
  const pool = m.sys.memory.allocPages(64 * 4096);
  let bestDirect = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < pairs; i++) {
      const dir = i % 2 === 0 ? DmaDirection.TO_DEVICE : DmaDirection.FROM_DEVICE;
      const h = dma_map_single(dev, pool + (i % 64) * 4096, 64, dir);
      dma_mapping_error(dev, h);
      dma_unmap_single(dev, h, 64, dir);
    }
    bestDirect = Math.min(bestDirect, performance.now() - t0);
  }
  const replayOpsPerSec = ops.length / (best / 1000);
  const directCallsPerSec = (3 * pairs) / (bestDirect / 1000);
  return { replayOpsPerSec, directCallsPerSec, vsDirectCalls: replayOpsPerSec / directCallsPerSec, ops: ops.length };
}
