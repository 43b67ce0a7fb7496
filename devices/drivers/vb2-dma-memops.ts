import {
  DmaAttr,
  DmaDirection,
  dma_alloc_attrs,
  dma_free_attrs,
  dma_map_sg_attrs,
  dma_mmap_attrs,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_unmap_sg_attrs,
} from '../../dma/index.ts';
import type { Device, DmaEnv, ScatterEntry } from '../../dma/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import type { Vb2MemOps, Vb2Plane } from '../camera/vb2-queue.ts';

interface ContigPriv {
  cpuAddr: number | null;
  attrs: number;
}
interface SgPriv {
  sg: ScatterEntry[];
  nents: number;
}

/**
 * vb2-dma-contig MMAP buffers: dma_alloc_attrs with the queue's attrs (WRITE_COMBINE, NO_KERNEL_MAPPING…),
 * user access through dma_mmap_attrs; prepare/finish do nothing (the memory is coherent).
 */
export function createContigMemops(dev: Device, core: number | null, attrs: number): Vb2MemOps {
  // `core` pins the calls to one CPU; null leaves it to the caller (sys.core: the ioctl's or the IRQ's CPU).
  const env = dev.env as DmaEnv;
  return {
    name: 'dma-contig',
    alloc(size: number): Vb2Plane {
      if (core !== null) env.core = core;
      const b = dma_alloc_attrs(dev, size, attrs);
      if (b === null) throw new DeviceError(`vb2-dma-contig ${dev.name}: dma_alloc_attrs of ${size} B failed (ENOMEM)`);
      const m = dma_mmap_attrs(dev, b.dmaHandle, size, attrs);
      if (m === null) throw new DeviceError(`vb2-dma-contig ${dev.name}: dma_mmap_attrs failed (ENXIO)`);
      const priv: ContigPriv = { cpuAddr: b.cpuAddr, attrs };
      return { dmaAddr: b.dmaHandle, size, cpuPhys: m.phys, cpuMemType: m.memType, priv };
    },
    put(p: Vb2Plane): void {
      const priv = p.priv as ContigPriv;
      if (core !== null) env.core = core;
      dma_free_attrs(dev, p.size, priv.cpuAddr, p.dmaAddr, priv.attrs);
    },
    prepare(): void {},
    finish(): void {},
  };
}

/**
 * USERPTR / dma-sg buffers: the user's pages (physically contiguous runs merged into one entry, as
 * sg_alloc_table_from_pages does) mapped FROM_DEVICE with SKIP_CPU_SYNC; prepare = dma_sync_sg_for_device,
 * finish = dma_sync_sg_for_cpu, unmap again with SKIP_CPU_SYNC — videobuf2's streaming discipline.
 * `segmentBytes` splits the buffer into entries (as scattered user pages would be).
 */
export function createSgMemops(dev: Device, core: number | null, segmentBytes = 0): Vb2MemOps {
  const env = dev.env as DmaEnv;
  const dir = DmaDirection.FROM_DEVICE;
  return {
    name: 'dma-sg',
    getUserptr(userPhys: number, size: number): Vb2Plane {
      if (userPhys % 32 !== 0) throw new DeviceError(`vb2 ${dev.name}: USERPTR 0x${userPhys.toString(16)} is not cache-line aligned (EINVAL)`);
      const seg = segmentBytes > 0 ? segmentBytes : size;
      const sg: ScatterEntry[] = [];
      for (let off = 0; off < size; off += seg) sg.push({ phys: userPhys + off, length: Math.min(seg, size - off), dmaAddress: 0, dmaLength: 0 });
      if (core !== null) env.core = core;
      const n = dma_map_sg_attrs(dev, sg, sg.length, dir, DmaAttr.SKIP_CPU_SYNC);
      if (n <= 0) throw new DeviceError(`vb2-dma-sg ${dev.name}: dma_map_sg of ${size} B failed`);
      // The capture engine writes one contiguous DMA range per plane (vb2-dma-contig's USERPTR rule).
      for (let i = 1; i < n; i++) {
        const a = sg[i - 1]!;
        if (a.dmaAddress + a.dmaLength !== sg[i]!.dmaAddress) throw new DeviceError(`vb2 ${dev.name}: USERPTR buffer is not contiguous in DMA space`);
      }
      const priv: SgPriv = { sg, nents: sg.length };
      return { dmaAddr: sg[0]!.dmaAddress, size, cpuPhys: userPhys, cpuMemType: 'normal-wb', priv };
    },
    putUserptr(p: Vb2Plane): void {
      const priv = p.priv as SgPriv;
      if (core !== null) env.core = core;
      dma_unmap_sg_attrs(dev, priv.sg, priv.nents, dir, DmaAttr.SKIP_CPU_SYNC);
    },
    prepare(p: Vb2Plane): void {
      const priv = p.priv as SgPriv;
      if (core !== null) env.core = core;
      dma_sync_sg_for_device(dev, priv.sg, priv.nents, dir);
    },
    finish(p: Vb2Plane): void {
      const priv = p.priv as SgPriv;
      if (core !== null) env.core = core;
      dma_sync_sg_for_cpu(dev, priv.sg, priv.nents, dir);
    },
  };
}
