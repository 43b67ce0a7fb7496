import {
  DmaDirection,
  dma_alloc_coherent,
  dma_alloc_noncoherent,
  dma_alloc_wc,
  dma_free_coherent,
  dma_free_noncoherent,
  dma_free_wc,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
} from '../../dma/index.ts';
import type { Device, DmaEnv, MemType } from '../../dma/index.ts';
import type { Soc } from '../../soc/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import type { PcmBuffer } from '../audio/pcm-buffer.ts';

/** ALSA buffer types (sound/core/memalloc.c) this model allocates through the DMA API. */
export type PcmBufferType = 'DEV' | 'DEV_WC' | 'NONCOHERENT';

/**
 * A PCM ring allocated with the public DMA API as the ALSA core does for each buffer type: DEV →
 * dma_alloc_coherent, DEV_WC → dma_alloc_wc (the Samsung driver's choice), NONCOHERENT →
 * dma_alloc_noncoherent with explicit syncs. The CPU accesses it through its kernel mapping's memory type.
 */
export function allocPcmBuffer(soc: Soc, dev: Device, core: number, type: PcmBufferType, bytes: number): PcmBuffer {
  const env = dev.env as DmaEnv;
  env.core = core;
  const buf = type === 'DEV' ? dma_alloc_coherent(dev, bytes) : type === 'DEV_WC' ? dma_alloc_wc(dev, bytes) : dma_alloc_noncoherent(dev, bytes);
  if (buf === null || buf.cpuAddr === null) throw new DeviceError(`pcm ${dev.name}: ${type} allocation of ${bytes} B failed`);
  const cpu = type === 'NONCOHERENT' ? { phys: buf.phys, type: 'normal-wb' as MemType } : cpuView(env, buf.cpuAddr);
  const mem = soc.memory;
  const handle = buf.dmaHandle;
  const cpuAddr = buf.cpuAddr;
  const syncCost = (fn: () => void): number => {
    env.core = core;
    fn();
    return env.cost.cycles;
  };
  return {
    bytes,
    dmaAddr: handle,
    needsSync: type === 'NONCOHERENT',
    cpuPhys: cpu.phys,
    cpuWrite: (off, src, so, len) => mem.cpuWrite(core, cpu.phys + off, src, so, len, cpu.type),
    cpuRead: (off, dst, d, len) => mem.cpuRead(core, cpu.phys + off, dst, d, len, cpu.type),
    syncForDevice: (off, len, toDev) =>
      syncCost(() => dma_sync_single_for_device(dev, handle + off, len, toDev ? DmaDirection.TO_DEVICE : DmaDirection.FROM_DEVICE)),
    syncForCpu: (off, len, toDev) =>
      syncCost(() => dma_sync_single_for_cpu(dev, handle + off, len, toDev ? DmaDirection.TO_DEVICE : DmaDirection.FROM_DEVICE)),
    free: () => {
      env.core = core;
      if (type === 'DEV') dma_free_coherent(dev, bytes, cpuAddr, handle);
      else if (type === 'DEV_WC') dma_free_wc(dev, bytes, cpuAddr, handle);
      else dma_free_noncoherent(dev, bytes, cpuAddr, handle);
    },
  };
}

/** Physical address and memory type behind a kernel virtual address (a remapped coherent buffer). */
export function cpuView(env: DmaEnv, va: number): { phys: number; type: MemType } {
  return env.memory.translate(va);
}
