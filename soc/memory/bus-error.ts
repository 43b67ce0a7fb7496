import { hexAddr } from './memory-target.ts';

export type BusOp = 'read' | 'write';

/**
 * An access the bus cannot route: no region decodes the address, or the access runs past its region
 * (into another one or into nothing). Real AXI answers DECERR/SLVERR; dmasim raises this error so the
 * requester (a device, a table walk, the CPU) sees which address and master were at fault.
 */
export class BusError extends Error {
  readonly addr: number;
  readonly len: number;
  readonly master: string;
  readonly op: BusOp;
  /** Why the access failed, e.g. "hits no region" or "straddles regions dram0 and sram". */
  readonly reason: string;

  constructor(addr: number, len: number, master: string, op: BusOp, reason: string) {
    super(`bus error: ${master} ${op} of ${len} bytes at ${hexAddr(addr)} ${reason} (master ${master})`);
    this.name = 'BusError';
    this.addr = addr;
    this.len = len;
    this.master = master;
    this.op = op;
    this.reason = reason;
  }
}
