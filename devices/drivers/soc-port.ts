import type { Ps } from '../../emulator/kernel/index.ts';
import type { CoherencyMode, Soc } from '../../soc/index.ts';
import type { MasterId, TransferDone } from '../../soc/index.ts';
import type { Iommu } from '../../soc/iommu/index.ts';
import { dmaToPhys } from '../../dma/index.ts';
import type { Device } from '../../dma/index.ts';
import type { ByteSource } from '../../soc/memory/memory-target.ts';
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

/** The buffer argument of a move whose bytes come from a source. */
const NO_BYTES = new Uint8Array(0);

/** Slots in the table at first (a port rarely has more transfers in flight; it grows if needed). */
const INITIAL_SLOTS = 16;

/** Hears every functional DMA access of a port (the trace recorder): DMA address, length, direction. */
export interface DeviceAccessTap {
  deviceAccess(dev: Device, dmaAddr: number, len: number, isWrite: boolean): void;
}

/** MemorySystem's device side; the trailing master name lets the coherency checker attribute accesses. */
interface DeviceMemory {
  deviceRead(mode: CoherencyMode, pa: number, dst: Uint8Array, dstOff: number, len: number, master?: string): void;
  deviceWrite(mode: CoherencyMode, pa: number, src: Uint8Array, srcOff: number, len: number, master?: string): void;
  deviceWriteFrom(mode: CoherencyMode, pa: number, len: number, source: ByteSource, sourceOff: number, master?: string): void;
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
  private readonly sim: Soc['sim'];
  private readonly interconnect: Soc['interconnect'];
  // DRAM bounds for clampToDram, read once instead of through the preset per transfer.
  private readonly dramBase: number;
  private readonly dramEnd: number;
  // The slot table: a slot's sink and tag while its transfer is in flight, and a stack of free slots
  // (typed, grown by doubling: nothing is allocated per transfer).
  private sinks: (TransferSink | undefined)[] = new Array<TransferSink | undefined>(INITIAL_SLOTS).fill(undefined);
  private tags = new Float64Array(INITIAL_SLOTS);
  private freeSlots = new Int32Array(INITIAL_SLOTS);
  private freeTop = 0;
  private slotCount = 0;
  /** Issue times per slot (-1: none), kept only while the simulator has a tracer (timeline slices). */
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
    this.sim = soc.sim;
    this.interconnect = soc.interconnect;
    this.dramBase = soc.preset.dram.base;
    this.dramEnd = soc.preset.dram.base + soc.preset.dram.size;
    this.master = soc.interconnect.addMaster({ name: cfg.name, widthBytes: cfg.widthBytes, maxBurstBeats: cfg.maxBurstBeats, maxOutstanding: cfg.maxOutstanding, ...(cfg.burstGroup !== undefined ? { burstGroup: cfg.burstGroup } : {}) });
  }

  /** Physical address the bus sees for the first byte (translated through the IOMMU when present). */
  private busAddr(addr: number, len: number, isWrite: boolean): number {
    if (this.iommu === null) return dmaToPhys(this.dev, addr);
    const r = this.iommu.translate(addr, Math.min(len, 4096 - (addr % 4096)), isWrite, this.sim.now, this.dev.name);
    return r.ok ? r.pa : -1;
  }

  transfer(addr: number, len: number, isWrite: boolean, sink: TransferSink, tag: number): void {
    const slot = this.freeTop > 0 ? this.freeSlots[--this.freeTop]! : this.newSlot();
    this.sinks[slot] = sink;
    this.tags[slot] = tag;
    if (this.sim.tracer !== null) {
      this.issued[slot] = this.sim.now;
      this.lens[slot] = len;
      this.writes[slot] = isWrite;
    }
    const pa = this.iommu === null ? dmaToPhys(this.dev, addr) : this.busAddr(addr, len, isWrite);
    // A faulting IOVA still occupies the device for the transfer's duration; time it at the DRAM base.
    this.interconnect.transfer(this.master, pa >= 0 ? this.clampToDram(pa, len) : this.dramBase, len, isWrite, this, slot);
  }

  /** A slot never used before (all are in flight): grows the table when full. */
  private newSlot(): number {
    const slot = this.slotCount++;
    if (slot === this.tags.length) {
      const tags = new Float64Array(slot * 2);
      tags.set(this.tags);
      this.tags = tags;
      const free = new Int32Array(slot * 2);
      free.set(this.freeSlots);
      this.freeSlots = free;
      for (let i = slot; i < slot * 2; i++) this.sinks.push(undefined);
    }
    return slot;
  }

  /** Keeps the timing access inside DRAM when an IOMMU-contiguous range is physically scattered. */
  private clampToDram(pa: number, len: number): number {
    return pa + len <= this.dramEnd ? pa : this.dramEnd - len;
  }

  onTransferDone(_endPs: Ps, slot: number): void {
    const sink = this.sinks[slot]!;
    const tag = this.tags[slot]!;
    this.sinks[slot] = undefined;
    this.freeSlots[this.freeTop++] = slot;
    const tracer = this.sim.tracer;
    if (tracer !== null && (this.issued[slot] ?? -1) >= 0) {
      // One lane per in-flight slot: a slot is reused only after its transfer ended, so lanes never overlap.
      const t0 = this.issued[slot]!;
      const len = this.lens[slot]!;
      tracer.slice(tracer.track('DMA', `${this.name} #${slot}`), `${this.writes[slot] ? 'write' : 'read'} ${len} B`, t0, this.sim.now - t0, { bytes: len, device: this.dev.name });
      this.issued[slot] = -1;
    }
    sink.onTransferDone(tag);
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.move(addr, dst, dstOff, len, false, null);
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    this.move(addr, src, srcOff, len, true, null);
  }

  writeFrom(addr: number, len: number, source: ByteSource): void {
    this.move(addr, NO_BYTES, 0, len, true, source);
  }

  /** Moves bytes between `buf` (from `off`) and memory, or writes `source`'s bytes [0, len) when given. */
  private move(addr: number, buf: Uint8Array, off: number, len: number, isWrite: boolean, source: ByteSource | null): void {
    const mode = this.dev.coherency;
    const name = this.dev.name;
    if (this.iommu === null) {
      const pa = dmaToPhys(this.dev, addr);
      if (source !== null) this.mem.deviceWriteFrom(mode, pa, len, source, 0, name);
      else if (isWrite) this.mem.deviceWrite(mode, pa, buf, off, len, name);
      else this.mem.deviceRead(mode, pa, buf, off, len, name);
      if (this.tap !== null) this.tap.deviceAccess(this.dev, addr, len, isWrite);
      return;
    }
    this.moveTranslated(this.iommu, addr, buf, off, len, isWrite, source);
  }

  /** move through the device's IOMMU, page by page; a faulting page moves nothing (reads give zeros). */
  private moveTranslated(iommu: Iommu, addr: number, buf: Uint8Array, off: number, len: number, isWrite: boolean, source: ByteSource | null): void {
    const mode = this.dev.coherency;
    const name = this.dev.name;
    const now = this.sim.now;
    for (let done = 0; done < len; ) {
      const va = addr + done;
      const r = iommu.translate(va, Math.min(len - done, 4096 - (va % 4096)), isWrite, now, name);
      const n = r.bytes;
      if (r.ok) {
        if (source !== null) this.mem.deviceWriteFrom(mode, r.pa, n, source, done, name);
        else if (isWrite) this.mem.deviceWrite(mode, r.pa, buf, off + done, n, name);
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
