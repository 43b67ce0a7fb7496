import type { CoherencyMode } from '../cache/index.ts';
import type { DeviceDataPath } from './iommu-port.ts';
import type { WalkMemory } from './iommu.ts';

/** The device side of the MemorySystem, structurally (soc/cache MemorySystem.deviceRead / deviceWrite). */
export interface DeviceMemoryLike {
  deviceRead(mode: CoherencyMode, pa: number, dst: Uint8Array, dstOff: number, len: number): void;
  deviceWrite(mode: CoherencyMode, pa: number, src: Uint8Array, srcOff: number, len: number): void;
}

/**
 * The table walker's reads through the memory system with the IOMMU's coherency mode: 'none' reads DRAM
 * (a non-coherent walker: cached, uncleaned PTEs are invisible to it), 'acp'/'ace-lite' snoop the caches.
 */
export function walkMemoryOf(mem: DeviceMemoryLike, mode: CoherencyMode): WalkMemory {
  return { read: (pa, dst, off, len) => mem.deviceRead(mode, pa, dst, off, len) };
}

/** A device's data path through the memory system with its coherency mode (for IommuDataPort). */
export function deviceDataPathOf(mem: DeviceMemoryLike, mode: CoherencyMode): DeviceDataPath {
  return {
    read: (pa, dst, off, len) => mem.deviceRead(mode, pa, dst, off, len),
    write: (pa, src, off, len) => mem.deviceWrite(mode, pa, src, off, len),
  };
}
