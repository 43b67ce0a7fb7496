import { BusError } from './bus-error.ts';
import type { BusOp } from './bus-error.ts';
import { hexAddr } from './memory-target.ts';
import type { MemoryTarget } from './memory-target.ts';

export type RegionKind = 'dram' | 'mmio' | 'sram';

/** One decoded window of the physical address space. */
export interface Region {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly kind: RegionKind;
  readonly target: MemoryTarget;
}

/** A region that cannot be added: bad bounds, or it overlaps a region already in the map. */
export class AddressMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressMapError';
  }
}

/**
 * The SoC's physical address decoder. Regions never overlap (adding one that does is refused), are kept
 * sorted by base, and are found by a last-hit check followed by binary search: accesses cluster, so the
 * last hit answers most lookups.
 */
export class AddressMap {
  private readonly sorted: Region[] = [];
  private last: Region | undefined;

  add(region: Region): Region {
    const { name, base, size } = region;
    if (!Number.isSafeInteger(base) || base < 0) throw new AddressMapError(`AddressMap.add(${name}): base must be a non-negative integer below 2^53, got ${base}`);
    if (!Number.isSafeInteger(size) || size <= 0) throw new AddressMapError(`AddressMap.add(${name}): size must be a positive integer, got ${size}`);
    if (base + size > Number.MAX_SAFE_INTEGER) throw new AddressMapError(`AddressMap.add(${name}): region end exceeds 2^53`);
    if (this.sorted.some((r) => r.name === name)) throw new AddressMapError(`AddressMap.add(${name}): a region with this name already exists`);
    const i = this.upperBound(base);
    const before = this.sorted[i - 1];
    const after = this.sorted[i];
    const clash = before !== undefined && before.base + before.size > base ? before : after !== undefined && after.base < base + size ? after : undefined;
    if (clash !== undefined) {
      throw new AddressMapError(
        `AddressMap.add(${name}): ${hexAddr(base)}..${hexAddr(base + size)} overlaps region ${clash.name} ` +
          `${hexAddr(clash.base)}..${hexAddr(clash.base + clash.size)}`,
      );
    }
    this.sorted.splice(i, 0, region);
    return region;
  }

  /** All regions, sorted by base. */
  regions(): readonly Region[] {
    return this.sorted;
  }

  /** The region named `name`, or undefined. */
  byName(name: string): Region | undefined {
    return this.sorted.find((r) => r.name === name);
  }

  /** The region containing `addr`, or undefined. */
  find(addr: number): Region | undefined {
    const last = this.last;
    if (last !== undefined && addr >= last.base && addr - last.base < last.size) return last;
    const r = this.sorted[this.upperBound(addr) - 1];
    if (r !== undefined && addr - r.base < r.size) {
      this.last = r;
      return r;
    }
    return undefined;
  }

  /**
   * The single region holding every byte of [addr, addr + len). Throws BusError when a byte lies in no
   * region or the access straddles two regions (one bus transaction decodes to one slave).
   */
  resolve(addr: number, len: number, master: string, op: BusOp): Region {
    const r = this.find(addr);
    if (r === undefined) throw new BusError(addr, len, master, op, 'hits no region');
    if (addr + len > r.base + r.size) {
      const next = this.find(r.base + r.size);
      const reason =
        next !== undefined
          ? `straddles regions ${r.name} and ${next.name}`
          : `runs past the end of region ${r.name} at ${hexAddr(r.base + r.size)}`;
      throw new BusError(addr, len, master, op, reason);
    }
    return r;
  }

  /** Index of the first region whose base is > addr. */
  private upperBound(addr: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.base <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
