/**
 * A per-core merging write buffer for write-combine (Normal non-cacheable, bufferable) stores: it gathers
 * the stores to one line and drains to memory when a store goes to a different line, when the line is
 * complete, or at a barrier (wmb / dsb). Until it drains, DRAM (and therefore a device) does not see them.
 */
export class WriteCombineBuffer {
  /** Line address held, or -1 when empty. */
  lineAddr = -1;
  readonly data: Uint8Array;
  /** 1 per byte written since the last drain. */
  readonly mask: Uint8Array;
  /** Versions of the buffered bytes while the coherency checker is attached. */
  versions: Uint32Array | null = null;
  constructor(readonly lineBytes: number) {
    this.data = new Uint8Array(lineBytes);
    this.mask = new Uint8Array(lineBytes);
  }

  get empty(): boolean {
    return this.lineAddr < 0;
  }

  /** Merges bytes at `off` of the held line (the caller has drained a different line first). */
  merge(la: number, off: number, src: Uint8Array, srcOff: number, n: number): boolean {
    this.lineAddr = la;
    this.data.set(src.subarray(srcOff, srcOff + n), off);
    this.mask.fill(1, off, off + n);
    return this.mask.indexOf(0) < 0;
  }

  /** Overlaps [pa, pa+len)? */
  overlaps(pa: number, len: number): boolean {
    return this.lineAddr >= 0 && pa < this.lineAddr + this.lineBytes && pa + len > this.lineAddr;
  }

  /** Calls `write(addr, offInBuffer, n)` for every run of buffered bytes, then empties the buffer. */
  drain(write: (addr: number, off: number, n: number) => void): void {
    if (this.lineAddr < 0) return;
    const m = this.mask;
    let i = m.indexOf(1);
    while (i >= 0) {
      let j = m.indexOf(0, i);
      if (j < 0) j = this.lineBytes;
      write(this.lineAddr + i, i, j - i);
      i = j < this.lineBytes ? m.indexOf(1, j) : -1;
    }
    m.fill(0);
    this.lineAddr = -1;
  }
}
