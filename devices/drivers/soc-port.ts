import type { Ps } from '../../emulator/kernel/index.ts';
import type { CoherencyMode, Soc } from '../../soc/index.ts';
import type { MasterId, TransferDone } from '../../soc/index.ts';
import type { Iommu } from '../../soc/iommu/index.ts';
import { dmaToPhys } from '../../dma/index.ts';
import type { Device } from '../../dma/index.ts';
import type { DmaBusPort, TransferSink } from '../common/bus-port.ts';

export interface SocPortConfig {
  /** Interconnect master name (unique per SoC). */
  name: string;
  widthBytes: number;
  maxBurstBeats: number;
  maxOutstanding: number;
  /** Bursts per interconnect grant under one completion event (Interconnect MasterConfig.burstGroup; default 1). */
  burstGroup?: number;
}

/** Hears every functional DMA access of a port (the trace recorder): DMA address, length, direction. */
export interface DeviceAccessTap {
  deviceAccess(dev: Device, dmaAddr: number, len: number, isWrite: boolean): void;
}

/** MemorySystem's device side; the trailing master name lets the coherency checker attribute accesses. */
interface DeviceMemory {
  deviceRead(mode: CoherencyMode, pa: number, dst: Uint8Array, dstOff: number, len: number, master?: string): void;
  deviceWrite(mode: CoherencyMode, pa: number, src: Uint8Array, srcOff: number, len: number, master?: string): void;
}

/**
 * A device's port onto the SoC: its own interconnect master for timing, and MemorySystem.deviceRead/Write
 * with the device's coherency mode for the data. DMA addresses become physical through dma_to_phys, or
 * through the device's IOMMU page by page (a fault drops the bytes, reads return zeros, as the SYSMMU
 * does). In-flight transfers sit in a slot table so a completion finds its sink without a closure.
 */
export class SocDmaPort implements DmaBusPort, TransferDone {
  readonly name: string;
  readonly widthBytes: number;
  readonly master: MasterId;
  /** Bytes dropped by IOMMU faults. */
  faultedBytes = 0;
  /** The trace recorder's hook on the data moves (null: off). */
  tap: DeviceAccessTap | null = null;
  private readonly mem: DeviceMemory;
  private sinks: (TransferSink | undefined)[] = [];
  private tags: number[] = [];
  private free: number[] = [];
  /** Issue times per slot, kept only while the simulator has a tracer (timeline slices). */
  private issued: number[] = [];
  private lens: number[] = [];
  private writes: boolean[] = [];

  constructor(
    private readonly soc: Soc,
    readonly dev: Device,
    cfg: SocPortConfig,
    private readonly iommu: Iommu | null = null,
  ) {
    this.name = cfg.name;
    this.widthBytes = cfg.widthBytes;
    this.mem = soc.memory;
    this.master = soc.interconnect.addMaster({ name: cfg.name, widthBytes: cfg.widthBytes, maxBurstBeats: cfg.maxBurstBeats, maxOutstanding: cfg.maxOutstanding, ...(cfg.burstGroup !== undefined ? { burstGroup: cfg.burstGroup } : {}) });
  }

  /** Physical address the bus sees for the first byte (translated through the IOMMU when present). */
  private busAddr(addr: number, len: number, isWrite: boolean): number {
    if (this.iommu === null) return dmaToPhys(this.dev, addr);
    const r = this.iommu.translate(addr, Math.min(len, 4096 - (addr % 4096)), isWrite, this.soc.sim.now, this.dev.name);
    return r.ok ? r.pa : -1;
  }

  transfer(addr: number, len: number, isWrite: boolean, sink: TransferSink, tag: number): void {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.sinks.length;
      this.sinks.push(undefined);
      this.tags.push(0);
    }
    this.sinks[slot] = sink;
    this.tags[slot] = tag;
    if (this.soc.sim.tracer !== null) {
      this.issued[slot] = this.soc.sim.now;
      this.lens[slot] = len;
      this.writes[slot] = isWrite;
    }
    const pa = this.busAddr(addr, len, isWrite);
    // A faulting IOVA still occupies the device for the transfer's duration; time it at the DRAM base.
    this.soc.interconnect.transfer(this.master, pa >= 0 ? this.clampToDram(pa, len) : this.soc.preset.dram.base, len, isWrite, this, slot);
  }

  /** Keeps the timing access inside DRAM when an IOMMU-contiguous range is physically scattered. */
  private clampToDram(pa: number, len: number): number {
    const d = this.soc.preset.dram;
    return pa + len <= d.base + d.size ? pa : d.base + d.size - len;
  }

  onTransferDone(_endPs: Ps, slot: number): void {
    const sink = this.sinks[slot]!;
    const tag = this.tags[slot]!;
    this.sinks[slot] = undefined;
    this.free.push(slot);
    const tracer = this.soc.sim.tracer;
    if (tracer !== null && (this.issued[slot] ?? -1) >= 0) {
      // One lane per in-flight slot: a slot is reused only after its transfer ended, so lanes never overlap.
      const t0 = this.issued[slot]!;
      const len = this.lens[slot]!;
      tracer.slice(tracer.track('DMA', `${this.name} #${slot}`), `${this.writes[slot] ? 'write' : 'read'} ${len} B`, t0, this.soc.sim.now - t0, { bytes: len, device: this.dev.name });
      this.issued[slot] = -1;
    }
    sink.onTransferDone(tag);
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.move(addr, dst, dstOff, len, false);
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    this.move(addr, src, srcOff, len, true);
  }

  private move(addr: number, buf: Uint8Array, off: number, len: number, isWrite: boolean): void {
    const mode = this.dev.coherency;
    const name = this.dev.name;
    if (this.iommu === null) {
      const pa = dmaToPhys(this.dev, addr);
      if (isWrite) this.mem.deviceWrite(mode, pa, buf, off, len, name);
      else this.mem.deviceRead(mode, pa, buf, off, len, name);
      if (this.tap !== null) this.tap.deviceAccess(this.dev, addr, len, isWrite);
      return;
    }
    const now = this.soc.sim.now;
    for (let done = 0; done < len; ) {
      const va = addr + done;
      const r = this.iommu.translate(va, Math.min(len - done, 4096 - (va % 4096)), isWrite, now, name);
      const n = r.bytes;
      if (r.ok) {
        if (isWrite) this.mem.deviceWrite(mode, r.pa, buf, off + done, n, name);
        else this.mem.deviceRead(mode, r.pa, buf, off + done, n, name);
      } else {
        this.faultedBytes += n;
        if (!isWrite) buf.fill(0, off + done, off + done + n);
      }
      done += n;
    }
    if (this.tap !== null) this.tap.deviceAccess(this.dev, addr, len, isWrite);
  }
}
