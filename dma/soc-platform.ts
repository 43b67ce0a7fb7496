// The thin adapter from a soc/ Soc (createSoc) to what the DMA layer needs: the MemorySystem already has
// the maintenance and data paths with these names; cores are charged with CpuCore.exec.
import type { Soc } from '../soc/soc.ts';
import type { DmaPlatform } from './platform.ts';

export function platformFromSoc(soc: Soc): DmaPlatform {
  const m = soc.memory;
  const cores = soc.cores;
  return {
    lineSize: m.lineBytes,
    dram: { base: soc.preset.dram.base, size: soc.preset.dram.size },
    cores: cores.length,
    aliases: m.attributes,
    chargeCpu(core, cycles) {
      if (cycles > 0) cores[core]!.exec(cycles);
    },
    dmaMapArea: (core, pa, len, dir) => m.dmaMapArea(core, pa, len, dir),
    dmaUnmapArea: (core, pa, len, dir) => m.dmaUnmapArea(core, pa, len, dir),
    l1FlushRange: (core, pa, len) => m.l1FlushRange(core, pa, len),
    outerInvRange: (pa, len, core) => m.outerInvRange(pa, len, core),
    outerCleanRange: (pa, len, core) => m.outerCleanRange(pa, len, core),
    outerFlushRange: (pa, len, core) => m.outerFlushRange(pa, len, core),
    cpuRead: (core, pa, dst, off, len, type) => m.cpuRead(core, pa, dst, off, len, type),
    cpuWrite: (core, pa, src, off, len, type) => m.cpuWrite(core, pa, src, off, len, type),
    cpuCopy: (core, dstPa, srcPa, len, dstType, srcType) => m.cpuCopy(core, dstPa, srcPa, len, dstType, srcType),
    deviceRead: (mode, pa, dst, off, len) => m.deviceRead(mode, pa, dst, off, len),
    deviceWrite: (mode, pa, src, off, len) => m.deviceWrite(mode, pa, src, off, len),
  };
}
