// Test-only helpers: a byte-array memory and a write-back "CPU cache" in front of it.
import type { MemoryTarget } from '../memory/index.ts';
import type { PageTableCpu } from './table-memory.ts';

/** A flat Uint8Array-backed memory at [base, base + size). */
export class ArrayMemory implements MemoryTarget {
  readonly bytes: Uint8Array;
  constructor(readonly base: number, size: number) {
    this.bytes = new Uint8Array(size);
  }
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    dst.set(this.bytes.subarray(addr - this.base, addr - this.base + len), dstOff);
  }
  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    this.bytes.set(src.subarray(srcOff, srcOff + len), addr - this.base);
  }
  fill(addr: number, len: number, byte: number): void {
    this.bytes.fill(byte, addr - this.base, addr - this.base + len);
  }
}

/**
 * A CPU whose writes stay in a write-back cache (word granular) until syncForWalker cleans them to DRAM;
 * `forgetClean` makes syncForWalker do nothing, the bug a non-coherent walker exposes.
 */
export class WriteBackTableCpu implements PageTableCpu {
  cycles = 0;
  syncs = 0;
  syncedBytes = 0;
  readonly dirty = new Map<number, number>();
  private readonly w = new Uint8Array(4);
  constructor(readonly mem: MemoryTarget, readonly forgetClean = false) {}
  read32(pa: number): number {
    const d = this.dirty.get(pa);
    if (d !== undefined) return d;
    this.mem.read(pa, this.w, 0, 4);
    return (this.w[0]! | (this.w[1]! << 8) | (this.w[2]! << 16) | (this.w[3]! << 24)) >>> 0;
  }
  write32(pa: number, value: number): void {
    this.dirty.set(pa, value >>> 0);
  }
  zero(pa: number, len: number): void {
    for (let a = pa; a < pa + len; a += 4) this.dirty.set(a, 0);
  }
  syncForWalker(pa: number, len: number): void {
    this.syncs++;
    this.syncedBytes += len;
    if (this.forgetClean) return;
    for (let a = pa - (pa % 4); a < pa + len; a += 4) {
      const v = this.dirty.get(a);
      if (v === undefined) continue;
      this.w[0] = v & 0xff;
      this.w[1] = (v >>> 8) & 0xff;
      this.w[2] = (v >>> 16) & 0xff;
      this.w[3] = (v >>> 24) & 0xff;
      this.mem.write(a, this.w, 0, 4);
      this.dirty.delete(a);
    }
  }
}
