import type { AddressMap } from './address-map.ts';
import type { MemoryTarget } from './memory-target.ts';

/**
 * The functional path to physical memory: routes each access through the address map to its target.
 * An access that decodes to no region, or straddles two, throws BusError naming address and master.
 */
export class PhysicalMemory implements MemoryTarget {
  readonly map: AddressMap;
  /** Master named in bus errors when the caller names none. */
  readonly defaultMaster: string;

  constructor(map: AddressMap, defaultMaster = 'cpu') {
    this.map = map;
    this.defaultMaster = defaultMaster;
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number, master: string = this.defaultMaster): void {
    this.map.resolve(addr, len, master, 'read').target.read(addr, dst, dstOff, len);
  }

  write(addr: number, src: Uint8Array, srcOff: number, len: number, master: string = this.defaultMaster): void {
    this.map.resolve(addr, len, master, 'write').target.write(addr, src, srcOff, len);
  }

  fill(addr: number, len: number, byte: number, master: string = this.defaultMaster): void {
    this.map.resolve(addr, len, master, 'write').target.fill(addr, len, byte);
  }
}
