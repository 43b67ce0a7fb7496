// How a DMA-capable device reaches memory: a timing path (the interconnect, which moves no data) and a
// functional path (the memory system, which moves the bytes through caches/DRAM according to the device's
// coherency mode, after IOMMU translation when the device sits behind one). Devices talk only to this
// port, so the same device model runs on the real SoC and on a small test memory.

import type { ByteSource } from '../../soc/memory/memory-target.ts';

/** Receives transfer completions without a closure per transfer. */
export interface TransferSink {
  onTransferDone(tag: number): void;
}

export interface DmaBusPort {
  readonly name: string;
  /** Bus width in bytes (the interconnect master's data width). */
  readonly widthBytes: number;
  /** Timing: `sink.onTransferDone(tag)` runs when `len` bytes at device address `addr` have moved. */
  transfer(addr: number, len: number, isWrite: boolean, sink: TransferSink, tag: number): void;
  /** Functional read of device-visible (DMA/IOVA) addresses. */
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void;
  /** Functional write of device-visible (DMA/IOVA) addresses. */
  write(addr: number, src: Uint8Array, srcOff: number, len: number): void;
  /** Functional write of bytes [0, len) of a rule (a camera's pattern): memory may keep the rule, not the bytes. */
  writeFrom(addr: number, len: number, source: ByteSource): void;
}

/** A bad argument or program given to a device model; the message names the device and what was expected. */
export class DeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceError';
  }
}
