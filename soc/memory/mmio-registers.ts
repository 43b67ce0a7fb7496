import { MemoryRangeError } from './dram-store.ts';
import { hexAddr } from './memory-target.ts';
import type { MemoryTarget } from './memory-target.ts';

/** Called on a CPU/bus read of a hooked register; returns the value the reader sees. */
export type RegisterReadHook = (offset: number, stored: number) => number;
/** Called after a bus write stored `value` in a hooked register (the hook may overwrite it, e.g. write-1-to-clear). */
export type RegisterWriteHook = (offset: number, value: number, previous: number) => void;

/**
 * A bank of 32-bit little-endian registers at [base, base + size). Accesses must be whole, aligned
 * words (what the AMBA APB slaves of a DMA controller or camera accept); hooks give devices side effects
 * on read and write. peek/poke access the stored values without running hooks.
 */
export class MmioRegisters implements MemoryTarget {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly regs: Uint32Array;
  private readonly readHooks = new Map<number, RegisterReadHook>();
  private readonly writeHooks = new Map<number, RegisterWriteHook>();

  constructor(name: string, base: number, size: number) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 4 !== 0) throw new RangeError(`MmioRegisters ${name}: base must be a 4-byte aligned non-negative integer, got ${base}`);
    if (!Number.isSafeInteger(size) || size <= 0 || size % 4 !== 0) throw new RangeError(`MmioRegisters ${name}: size must be a positive multiple of 4, got ${size}`);
    this.name = name;
    this.base = base;
    this.size = size;
    this.regs = new Uint32Array(size / 4);
  }

  onRead(offset: number, hook: RegisterReadHook): void {
    this.checkOffset(offset);
    this.readHooks.set(offset, hook);
  }

  onWrite(offset: number, hook: RegisterWriteHook): void {
    this.checkOffset(offset);
    this.writeHooks.set(offset, hook);
  }

  /** The stored value of the register at `offset`, without running hooks. */
  peek(offset: number): number {
    this.checkOffset(offset);
    return this.regs[offset >>> 2]!;
  }

  /** Stores `value` in the register at `offset`, without running hooks. */
  poke(offset: number, value: number): void {
    this.checkOffset(offset);
    this.regs[offset >>> 2] = value >>> 0;
  }

  /** Bus read of one register (runs its read hook). */
  readReg(offset: number): number {
    const stored = this.peek(offset);
    const hook = this.readHooks.get(offset);
    return hook === undefined ? stored : hook(offset, stored) >>> 0;
  }

  /** Bus write of one register (stores, then runs its write hook). */
  writeReg(offset: number, value: number): void {
    const previous = this.peek(offset);
    this.regs[offset >>> 2] = value >>> 0;
    this.writeHooks.get(offset)?.(offset, value >>> 0, previous);
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    const off = this.checkAccess('read', addr, len);
    for (let i = 0; i < len; i += 4) {
      const v = this.readReg(off + i);
      dst[dstOff + i] = v & 0xff;
      dst[dstOff + i + 1] = (v >>> 8) & 0xff;
      dst[dstOff + i + 2] = (v >>> 16) & 0xff;
      dst[dstOff + i + 3] = v >>> 24;
    }
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    const off = this.checkAccess('write', addr, len);
    for (let i = 0; i < len; i += 4) {
      const v = src[srcOff + i]! | (src[srcOff + i + 1]! << 8) | (src[srcOff + i + 2]! << 16) | (src[srcOff + i + 3]! << 24);
      this.writeReg(off + i, v);
    }
  }

  fill(addr: number, len: number, byte: number): void {
    const off = this.checkAccess('fill', addr, len);
    const b = byte & 0xff;
    const v = b | (b << 8) | (b << 16) | (b << 24);
    for (let i = 0; i < len; i += 4) this.writeReg(off + i, v);
  }

  private checkOffset(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.size || offset % 4 !== 0) {
      throw new RangeError(`MmioRegisters ${this.name}: register offset must be a 4-byte aligned offset below ${this.size}, got ${offset}`);
    }
  }

  private checkAccess(where: string, addr: number, len: number): number {
    const off = addr - this.base;
    if (!(off >= 0) || !(len >= 0) || off + len > this.size) {
      throw new MemoryRangeError(`MmioRegisters ${this.name}.${where}`, addr, len, this.base, this.size);
    }
    if (off % 4 !== 0 || len % 4 !== 0) {
      throw new RangeError(`MmioRegisters ${this.name}.${where}: expected aligned 32-bit accesses, got ${len} bytes at ${hexAddr(addr)}`);
    }
    return off;
  }
}
