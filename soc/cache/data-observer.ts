// What the memory system tells an observer (the coherency checker) about data as it moves. When one is
// attached, the memory system carries a version per byte beside every byte of data (DRAM, each cache's
// slab, the write-combine buffers): it asks the observer which version a write stamps, copies versions
// with the data on fills, write-backs and copies, and shows the observer the versions each read returned.

export interface DataObserver {
  /** Version stamped on bytes the CPU writes (cpuWrite, cpuFill); the observer records the write. */
  cpuWriteVersion(core: number, pa: number, len: number): number;
  /** A CPU memcpy wrote [pa, pa+len) with the versions it read from its source (no new version). */
  cpuCopied(core: number, pa: number, len: number, versions: Uint32Array, off: number): void;
  /** Version stamped on bytes a device writes into memory at physical `pa`. */
  deviceWriteVersion(master: string, pa: number, len: number): number;
  /** A CPU read returned these versions for [pa, pa+len). */
  cpuRead(core: number, pa: number, len: number, versions: Uint32Array, off: number): void;
  /** A device read returned these versions. */
  deviceRead(master: string, pa: number, len: number, versions: Uint32Array, off: number): void;
  /** A dirty line of `level` ('L1'/'L2') is about to be written to DRAM over memory holding `overwritten`. */
  writeBack(lineAddr: number, len: number, incoming: Uint32Array, inOff: number, overwritten: Uint32Array, owOff: number, level: string): void;
  /**
   * A dirty line is being dropped without write-back (invalidate): `memory` is what stays visible below it.
   * [rangeLo, rangeHi) is the range the invalidate was issued for (the DMA buffer; empty for set/way
   * operations): dropping bytes inside it is the operation's purpose, dropping bytes outside it loses data.
   */
  discardDirty(lineAddr: number, len: number, dropped: Uint32Array, dropOff: number, memory: Uint32Array, memOff: number, level: string, rangeLo: number, rangeHi: number): void;
}

/**
 * An observer that can also be shown an access whose bytes all carry one version as that one number (no
 * per-byte versions written and compared): reads, CPU copies and write-backs. Implementing all four is
 * optional: a plain DataObserver is always shown per-byte versions.
 */
export interface UniformReadObserver extends DataObserver {
  /** A CPU read of [pa, pa+len) returned `version` for every byte. */
  cpuReadUniform(core: number, pa: number, len: number, version: number): void;
  /** A device read of [pa, pa+len) returned `version` for every byte. */
  deviceReadUniform(master: string, pa: number, len: number, version: number): void;
  /** A CPU memcpy wrote [pa, pa+len) with bytes that all carried `version` (cpuCopied of one version). */
  cpuCopiedUniform(core: number, pa: number, len: number, version: number): void;
  /** writeBack of a line whose bytes all carry `incoming`, over DRAM bytes that all carry `overwritten`. */
  writeBackUniform(lineAddr: number, len: number, incoming: number, overwritten: number, level: string): void;
}
