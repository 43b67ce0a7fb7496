// The swiotlb slot allocator (kernel/dma/swiotlb.c, about v6.6): a pool of 2 KiB slots in 128-slot
// segments. A mapping takes contiguous free slots inside one segment; the slot search honours the device's
// minimum-alignment mask (the low address bits inside it are preserved: bits below the slot size via an
// offset into the first slot, bits above it by choosing the slot), the allocation alignment, and page
// alignment for mappings of a page or more. The search starts where the previous one ended (area->index),
// so it is deterministic. Only bookkeeping here: the bytes live in DRAM at [base, base + slots * 2 KiB).
import { AllocatorError } from './page-alloc.ts';

export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
export const IO_TLB_SEGSIZE = 128;
/** 64 MiB: the kernel's default pool. */
export const IO_TLB_DEFAULT_BYTES = 64 << 20;

export interface SwiotlbSlotInfo {
  /** Bounce address handed to the device side (slot address + preserved low bits). */
  readonly tlbAddr: number;
  readonly origAddr: number;
  /** The mapping size the driver asked for. */
  readonly mappingSize: number;
  readonly firstSlot: number;
  readonly nslots: number;
}

export class SwiotlbPool {
  readonly base: number;
  readonly nslabs: number;
  readonly pageSize: number;
  private readonly used: Uint8Array;
  /** For each used slot, the first slot of its mapping (-1 when free). */
  private readonly head: Int32Array;
  private readonly mappings = new Map<number, SwiotlbSlotInfo>();
  private usedSlots = 0;
  private peakSlots = 0;
  private index = 0;

  constructor(base: number, bytes = IO_TLB_DEFAULT_BYTES, pageSize = 4096) {
    if (bytes <= 0 || bytes % (IO_TLB_SIZE * IO_TLB_SEGSIZE) !== 0) {
      throw new AllocatorError(`SwiotlbPool: size must be a positive multiple of ${IO_TLB_SIZE * IO_TLB_SEGSIZE} bytes (whole segments), got ${bytes}`);
    }
    if (base % pageSize !== 0) throw new AllocatorError(`SwiotlbPool: base must be page aligned, got 0x${base.toString(16)}`);
    this.base = base;
    this.nslabs = bytes / IO_TLB_SIZE;
    this.pageSize = pageSize;
    this.used = new Uint8Array(this.nslabs);
    this.head = new Int32Array(this.nslabs).fill(-1);
  }

  get bytes(): number {
    return this.nslabs * IO_TLB_SIZE;
  }
  get usedSlotCount(): number {
    return this.usedSlots;
  }
  get peakSlotCount(): number {
    return this.peakSlots;
  }
  get liveMappings(): number {
    return this.mappings.size;
  }

  /** Whether a physical address is a bounce-buffer address (is_swiotlb_buffer). */
  isBounce(addr: number): boolean {
    return addr >= this.base && addr < this.base + this.nslabs * IO_TLB_SIZE;
  }

  /** The largest mapping for a device with this minimum-alignment mask (swiotlb_max_mapping_size). */
  maxMappingSize(minAlignMask = 0): number {
    const rounded = minAlignMask === 0 ? 0 : Math.ceil((minAlignMask + 1) / IO_TLB_SIZE) * IO_TLB_SIZE;
    return IO_TLB_SIZE * IO_TLB_SEGSIZE - rounded;
  }

  /**
   * Finds slots for `size` bytes bouncing `origAddr`. Returns the bounce address or -1 when no fitting run
   * is free (the caller reports "swiotlb buffer is full"). Nothing changes on failure.
   */
  map(origAddr: number, size: number, minAlignMask = 0, allocAlignMask = 0): number {
    if (!Number.isSafeInteger(size) || size <= 0) throw new AllocatorError(`swiotlb map: size must be a positive integer, got ${size}`);
    const offset = origAddr & minAlignMask & (IO_TLB_SIZE - 1);
    const allocSize = size + offset;
    const nslots = Math.ceil(allocSize / IO_TLB_SIZE);
    if (nslots > IO_TLB_SEGSIZE) return -1;
    // Address bits the slot itself must match: the min-align bits above the slot size come from orig;
    // the allocation alignment (and page alignment for >= page) must be zero.
    const keepMask = minAlignMask & ~(IO_TLB_SIZE - 1);
    let zeroMask = allocAlignMask & ~(IO_TLB_SIZE - 1);
    if (size >= this.pageSize) zeroMask |= (this.pageSize - 1) & ~(IO_TLB_SIZE - 1);
    const want = origAddr & keepMask;
    const start = this.index;
    let s = start;
    for (let tried = 0; tried < this.nslabs; tried++, s = s + 1 === this.nslabs ? 0 : s + 1) {
      const slotAddr = this.base + s * IO_TLB_SIZE;
      if ((slotAddr & zeroMask) !== 0 || (slotAddr & keepMask) !== want) continue;
      if (s + nslots > this.nslabs) continue;
      if (Math.floor(s / IO_TLB_SEGSIZE) !== Math.floor((s + nslots - 1) / IO_TLB_SEGSIZE)) continue;
      let k = 0;
      while (k < nslots && this.used[s + k] === 0) k++;
      if (k < nslots) continue;
      this.used.fill(1, s, s + nslots);
      this.head.fill(s, s, s + nslots);
      this.usedSlots += nslots;
      if (this.usedSlots > this.peakSlots) this.peakSlots = this.usedSlots;
      this.index = s + nslots >= this.nslabs ? 0 : s + nslots;
      const tlbAddr = slotAddr + offset;
      this.mappings.set(s, { tlbAddr, origAddr, mappingSize: size, firstSlot: s, nslots });
      return tlbAddr;
    }
    return -1;
  }

  /** The live mapping whose slots contain bounce address `tlbAddr`, or undefined. */
  find(tlbAddr: number): SwiotlbSlotInfo | undefined {
    if (!this.isBounce(tlbAddr)) return undefined;
    const h = this.head[Math.floor((tlbAddr - this.base) / IO_TLB_SIZE)]!;
    return h < 0 ? undefined : this.mappings.get(h);
  }

  /** Releases the mapping containing `tlbAddr`; returns it, or undefined if no mapping is there. */
  unmap(tlbAddr: number): SwiotlbSlotInfo | undefined {
    const m = this.find(tlbAddr);
    if (m === undefined) return undefined;
    this.mappings.delete(m.firstSlot);
    this.used.fill(0, m.firstSlot, m.firstSlot + m.nslots);
    this.head.fill(-1, m.firstSlot, m.firstSlot + m.nslots);
    this.usedSlots -= m.nslots;
    return m;
  }
}

/** The kernel's exhaustion warning text (dev_warn_ratelimited in swiotlb_tbl_map_single). */
export function swiotlbFullMessage(size: number, total: number, used: number): string {
  return `swiotlb buffer is full (sz: ${size} bytes), total ${total} (slots), used ${used} (slots)`;
}
