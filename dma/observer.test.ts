import { describe, expect, it } from 'vitest';
import { dma_map_sg, dma_map_single, dma_sync_sg_for_device, dma_sync_single_for_cpu, dma_unmap_sg, dma_unmap_single } from './mapping.ts';
import { sgInitTable } from './scatterlist.ts';
import { DmaDirection } from './types.ts';
import { makeMachine } from './test-support.ts';
import type { DmaApiObserver } from './env.ts';

function recorder(): DmaApiObserver & { events: string[] } {
  const events: string[] = [];
  let internal = 0;
  return {
    events,
    op: -1,
    onMap: (dev, dma, pa, len, dir) => void events.push(`map ${dev} ${dma === pa ? 'same' : 'other'} ${len} ${dir}`),
    onUnmap: (dev) => void events.push(`unmap ${dev}`),
    onSyncForCpu: (dev) => void events.push(`cpu ${dev}`),
    onSyncForDevice: (dev) => void events.push(`device ${dev}`),
    onBounceStart: (_b, _o, len) => void events.push(`bounce+ ${len} internal=${internal}`),
    onBounceEnd: () => void events.push('bounce-'),
    asInternal<T>(fn: () => T): T {
      internal++;
      events.push('copy');
      try {
        return fn();
      } finally {
        internal--;
      }
    },
  };
}

describe('the checker hooks', () => {
  it('hear ownership changes of a direct mapping, and the op index', () => {
    const m = makeMachine();
    const obs = recorder();
    m.sys.attachChecker(obs);
    m.sys.opIndex = 5;
    expect(obs.op).toBe(5);
    const dev = m.sys.addDevice({ name: 'd' });
    const buf = m.sys.memory.allocPages(4096);
    const h = dma_map_single(dev, buf, 4096, DmaDirection.FROM_DEVICE);
    dma_sync_single_for_cpu(dev, h, 4096, DmaDirection.FROM_DEVICE);
    dma_unmap_single(dev, h, 4096, DmaDirection.FROM_DEVICE);
    const sg = sgInitTable([{ phys: buf, length: 4096 }]);
    dma_map_sg(dev, sg, 1, DmaDirection.TO_DEVICE);
    dma_sync_sg_for_device(dev, sg, 1, DmaDirection.TO_DEVICE);
    dma_unmap_sg(dev, sg, 1, DmaDirection.TO_DEVICE);
    expect(obs.events).toEqual(['map d same 4096 2', 'cpu d', 'unmap d', 'map d same 4096 1', 'device d', 'unmap d']);
  });
  it('hear bounce aliases, with the bounce copies marked internal', () => {
    const m = makeMachine({ strategy: 'swiotlb' });
    const obs = recorder();
    m.sys.attachChecker(obs);
    const dev = m.sys.addDevice({ name: 'd' });
    const buf = m.sys.memory.allocPages(4096);
    const h = dma_map_single(dev, buf, 2048, DmaDirection.BIDIRECTIONAL);
    dma_unmap_single(dev, h, 2048, DmaDirection.BIDIRECTIONAL);
    expect(obs.events).toEqual(['bounce+ 2048 internal=0', 'copy', 'map d other 2048 0', 'copy', 'bounce-', 'unmap d']);
  });
});
