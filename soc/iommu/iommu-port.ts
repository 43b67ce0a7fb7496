import type { Ps } from '../../emulator/kernel/time.ts';
import type { Iommu } from './iommu.ts';

/** The functional data path behind the IOMMU: MemorySystem.deviceRead/deviceWrite bound to a coherency mode, or DRAM. */
export interface DeviceDataPath {
  read(pa: number, dst: Uint8Array, dstOff: number, len: number): void;
  write(pa: number, src: Uint8Array, srcOff: number, len: number): void;
}

/**
 * A device's view of memory through its IOMMU: splits an access at leaf boundaries, translates each piece
 * and moves the bytes functionally. Faulting pieces are dropped (a read gets zeros), as the SYSMMU does
 * after raising its fault interrupt. Returns the time spent translating (the data transfer itself is timed
 * by the caller on the interconnect).
 */
export class IommuDataPort {
  readonly iommu: Iommu;
  readonly data: DeviceDataPath;
  /** Bytes that faulted in the last call. */
  faultedBytes = 0;

  constructor(iommu: Iommu, data: DeviceDataPath) {
    this.iommu = iommu;
    this.data = data;
  }

  read(iova: number, dst: Uint8Array, dstOff: number, len: number, now: Ps, dev: string): Ps {
    return this.move(iova, dst, dstOff, len, now, dev, false);
  }

  write(iova: number, src: Uint8Array, srcOff: number, len: number, now: Ps, dev: string): Ps {
    return this.move(iova, src, srcOff, len, now, dev, true);
  }

  private move(iova: number, buf: Uint8Array, off: number, len: number, now: Ps, dev: string, isWrite: boolean): Ps {
    let t = now;
    let done = 0;
    this.faultedBytes = 0;
    while (done < len) {
      const va = iova + done;
      // Never cross a 4 KiB page in one translation: the fault path drops one page at a time.
      const pageLeft = 4096 - (va % 4096);
      const r = this.iommu.translate(va, Math.min(len - done, pageLeft), isWrite, t, dev);
      t += r.costPs;
      const n = r.bytes;
      if (r.ok) {
        if (isWrite) this.data.write(r.pa, buf, off + done, n);
        else this.data.read(r.pa, buf, off + done, n);
      } else {
        this.faultedBytes += n;
        if (!isWrite) buf.fill(0, off + done, off + done + n);
      }
      done += n;
    }
    return t - now;
  }
}
