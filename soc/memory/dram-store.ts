import { MemoryRangeError, PagedArray, PAGE_ELEMENTS } from './paged-array.ts';
import type { ByteSource, MemoryTarget } from './memory-target.ts';
import { NONE, PARTLY, SourceRanges } from './source-ranges.ts';
export { MemoryRangeError } from './paged-array.ts';

/** Bytes per lazily allocated DRAM page. */
export const DRAM_PAGE_BYTES = PAGE_ELEMENTS;

/**
 * DRAM contents, allocated lazily in 64 KiB pages. Untouched pages read as zeros and cost nothing, so a
 * 1 GiB (or many GiB) DRAM holding a few buffers uses memory only for those buffers. Bytes a device
 * produces by rule (`writeFrom`: a camera's frames) are kept as their source until written over and
 * computed when read, so the megabytes nobody reads are never made. Addresses are absolute physical
 * addresses in [base, base + size).
 */
export class Dram implements MemoryTarget {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  private readonly store: PagedArray<Uint8Array>;
  private readonly sourced: SourceRanges;

  constructor(base: number, size: number, name = 'dram') {
    this.store = new PagedArray((n) => new Uint8Array(n), base, size, `Dram ${name}`);
    this.sourced = new SourceRanges((addr, src, srcOff, len) => this.store.write(addr, src, srcOff, len), base, size);
    this.name = name;
    this.base = base;
    this.size = size;
  }

  /** Bytes of host memory held by allocated pages. */
  residentBytes(): number {
    return this.store.residentPages() * DRAM_PAGE_BYTES;
  }

  /** Number of allocated pages. */
  residentPages(): number {
    return this.store.residentPages();
  }

  /** Ranges kept as their byte source (not yet written over). */
  sourcedRanges(): number {
    return this.sourced.count;
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    const s = this.sourced;
    const at = s.count > 0 ? s.locate(addr, len) : NONE;
    if (at >= 0) {
      s.bytesOf(at, addr, dst, dstOff, len);
      return;
    }
    this.store.read(addr, dst, dstOff, len);
    if (at === PARTLY) s.overlay(addr, dst, dstOff, len);
  }

  readWords(addr: number, dst: Int32Array, dstWord: number, nWords: number): boolean {
    const s = this.sourced;
    const at = s.count > 0 ? s.locate(addr, nWords * 4) : NONE;
    // A line inside one range comes from its source; one that meets ranges only partly goes through read
    // (the caller's fallback).
    if (at >= 0) return s.wordsOf(at, addr, dst, dstWord, nWords);
    return at === NONE && this.store.readWords(addr, dst, dstWord, nWords);
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    this.store.write(addr, src, srcOff, len);
    if (this.sourced.count > 0) this.sourced.writtenOver(addr, addr + len);
  }

  fill(addr: number, len: number, byte: number): void {
    this.store.fill(addr, len, byte & 0xff);
    if (this.sourced.count > 0) this.sourced.writtenOver(addr, addr + len);
  }

  writeFrom(addr: number, len: number, source: ByteSource, sourceOff: number): void {
    if (!(addr >= this.base && len >= 0 && addr + len <= this.base + this.size && Number.isInteger(addr) && Number.isInteger(len))) this.rejectWriteFrom(addr, len);
    this.sourced.add(addr, len, source, sourceOff);
  }

  private rejectWriteFrom(addr: number, len: number): never {
    throw new MemoryRangeError(`Dram ${this.name}.writeFrom`, addr, len, this.base, this.size);
  }
}
