import type { Simulator } from '../../emulator/kernel/index.ts';
import { DeviceError } from './bus-port.ts';
import type { DmaBusPort, TransferSink } from './bus-port.ts';
import type { ByteSource } from '../../soc/memory/memory-target.ts';

/**
 * A DmaBusPort over a flat byte array with a fixed latency plus a per-byte time, one transfer at a time
 * (a private bus). For unit tests of device logic without the SoC; the SoC port is in soc-port.ts.
 */
export class FlatMemoryPort implements DmaBusPort {
  readonly name: string;
  readonly widthBytes: number;
  readonly mem: Uint8Array;
  private busyUntil = 0;
  transfers = 0;

  constructor(
    private readonly sim: Simulator,
    opts: { name?: string; size: number; widthBytes?: number; latencyPs?: number; psPerByte?: number },
  ) {
    this.name = opts.name ?? 'flat';
    this.widthBytes = opts.widthBytes ?? 4;
    this.mem = new Uint8Array(opts.size);
    this.latencyPs = opts.latencyPs ?? 50_000;
    this.psPerByte = opts.psPerByte ?? 1_000;
  }
  private readonly latencyPs: number;
  private readonly psPerByte: number;

  transfer(addr: number, len: number, _isWrite: boolean, sink: TransferSink, tag: number): void {
    this.check(addr, len);
    this.transfers++;
    const start = Math.max(this.sim.now, this.busyUntil);
    this.busyUntil = start + len * this.psPerByte;
    this.sim.scheduleAt(this.busyUntil + this.latencyPs, () => sink.onTransferDone(tag));
  }
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.check(addr, len);
    dst.set(this.mem.subarray(addr, addr + len), dstOff);
  }
  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    this.check(addr, len);
    this.mem.set(src.subarray(srcOff, srcOff + len), addr);
  }
  writeFrom(addr: number, len: number, source: ByteSource): void {
    this.check(addr, len);
    source.bytesAt(0, this.mem, addr, len);
  }
  private check(addr: number, len: number): void {
    if (!(addr >= 0 && addr + len <= this.mem.length)) {
      throw new DeviceError(`${this.name}: access 0x${addr.toString(16)}+${len} outside 0..0x${this.mem.length.toString(16)}`);
    }
  }
}
