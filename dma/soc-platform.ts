// The thin adapter from a soc/ Soc (createSoc) to what the DMA layer needs: the MemorySystem already has
// the maintenance and data paths with these names; cores are charged with CpuCore.exec.
//
// Time must move inside a DMA call: each memory operation is charged to the core as it returns, so the next
// one (a page-table read after a large clean, say) starts after it instead of queueing again behind its
// DRAM write-backs. The call's total, charged by chargeCpu at its end, then adds only what is left (the
// fixed overhead).
import type { Soc } from '../soc/soc.ts';
import type { DmaPlatform } from './platform.ts';

export function platformFromSoc(soc: Soc): DmaPlatform {
  const m = soc.memory;
  const cores = soc.cores;
  const charged = new Float64Array(cores.length);
  const now = (core: number, cycles: number): number => {
    if (cycles > 0) {
      cores[core]!.exec(cycles);
      charged[core]! += cycles;
    }
    return cycles;
  };
  return {
    lineSize: m.lineBytes,
    dram: { base: soc.preset.dram.base, size: soc.preset.dram.size },
    cores: cores.length,
    aliases: m.attributes,
    chargeCpu(core, cycles) {
      const rest = cycles - charged[core]!;
      charged[core] = 0;
      if (rest > 0) cores[core]!.exec(rest);
    },
    dmaMapArea: (core, pa, len, dir) => now(core, m.dmaMapArea(core, pa, len, dir)),
    dmaUnmapArea: (core, pa, len, dir) => now(core, m.dmaUnmapArea(core, pa, len, dir)),
    l1FlushRange: (core, pa, len) => now(core, m.l1FlushRange(core, pa, len)),
    outerInvRange: (pa, len, core = 0) => now(core, m.outerInvRange(pa, len, core)),
    outerCleanRange: (pa, len, core = 0) => now(core, m.outerCleanRange(pa, len, core)),
    outerFlushRange: (pa, len, core = 0) => now(core, m.outerFlushRange(pa, len, core)),
    cpuRead: (core, pa, dst, off, len, type) => now(core, m.cpuRead(core, pa, dst, off, len, type)),
    cpuWrite: (core, pa, src, off, len, type) => now(core, m.cpuWrite(core, pa, src, off, len, type)),
    cpuCopy: (core, dstPa, srcPa, len, dstType, srcType) => now(core, m.cpuCopy(core, dstPa, srcPa, len, dstType, srcType)),
    deviceRead: (mode, pa, dst, off, len) => m.deviceRead(mode, pa, dst, off, len),
    deviceWrite: (mode, pa, src, off, len) => m.deviceWrite(mode, pa, src, off, len),
  };
}
