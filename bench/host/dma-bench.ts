// Host-speed benchmarks of the DMA layer (issue 5):
//   bounceVsSet          swiotlb bounce copy bytes/s over Uint8Array.prototype.set bytes/s, 4 KiB/64 KiB/1 MiB
//                        (the swiotlb's copy path on a cacheless platform, so the byte mover plus the
//                        DMA layer's own overhead is measured, not the cache model)
//   bounceVsSetCached    the same copies through the real cache model (MemorySystem.cpuCopy), for reference
//   mapUnmapPairsPerSec  4 KiB dma_map_single + dma_unmap_single on an io-coherent device, dma-debug off
//   debugSlowdown        the same with dma-debug on, time over time
import { createSoc } from '../../soc/soc.ts';
import { bounceCopy } from '../../dma/cache-sync.ts';
import { FlatPlatform } from '../../dma/flat-platform.ts';
import { dma_map_single, dma_mapping_error, dma_unmap_single } from '../../dma/mapping.ts';
import { platformFromSoc } from '../../dma/soc-platform.ts';
import { DmaSystem } from '../../dma/system.ts';
import { DmaDirection } from '../../dma/types.ts';
import { secondsPerCall } from './measure.ts';

export interface DmaBenchResult {
  bounceVsSet: number;
  bounceVsSetCached: number;
  mapUnmapPairsPerSec: number;
  debugSlowdown: number;
}

const SIZES = [4096, 65536, 1 << 20];

/** Seconds per call: the best of five batches of `minMs / 5` host time each (least disturbed by the host). */
const time = (fn: () => void, minMs = 150): number => secondsPerCall(fn, minMs);

/** Bytes per second of the bounce copy over that of set(), summed over the three sizes. */
function bounceRatio(sys: DmaSystem): number {
  const src = sys.memory.allocPages(1 << 20);
  const dst = sys.memory.allocPages(1 << 20);
  const a = new Uint8Array(1 << 20);
  const b = new Uint8Array(1 << 20);
  let bounceSec = 0;
  let setSec = 0;
  for (const size of SIZES) {
    bounceSec += time(() => bounceCopy(sys, dst, 'normal-wb', src, 'normal-wb', size)) / size;
    setSec += time(() => b.set(a.subarray(0, size))) / size;
  }
  return setSec / bounceSec;
}

function mapUnmapSeconds(debug: boolean): number {
  const soc = createSoc('exynos4412', { seed: 1, history: false, speculation: false });
  const sys = new DmaSystem({ platform: platformFromSoc(soc), stats: soc.sim.stats, debug });
  const dev = sys.addDevice({ name: 'bench-acp', driver: 'bench', coherency: 'acp' });
  const buf = sys.memory.allocPages(4096);
  const N = 10_000;
  const per = time(() => {
    for (let i = 0; i < N; i++) {
      const h = dma_map_single(dev, buf, 4096, DmaDirection.TO_DEVICE);
      if (debug) dma_mapping_error(dev, h);
      dma_unmap_single(dev, h, 4096, DmaDirection.TO_DEVICE);
    }
  }, 300);
  return per / N;
}

export function benchDma(): DmaBenchResult {
  const flat = new FlatPlatform(0x40000000, 96 << 20);
  const flatSys = new DmaSystem({ platform: flat, debug: false, params: { swiotlbBytes: 4 << 20 } });
  const bounceVsSet = bounceRatio(flatSys);
  const soc = createSoc('exynos4412', { seed: 1, history: false, speculation: false });
  const cachedSys = new DmaSystem({ platform: platformFromSoc(soc), debug: false });
  const bounceVsSetCached = bounceRatio(cachedSys);
  const off = mapUnmapSeconds(false);
  const on = mapUnmapSeconds(true);
  return { bounceVsSet, bounceVsSetCached, mapUnmapPairsPerSec: 1 / off, debugSlowdown: on / off };
}

