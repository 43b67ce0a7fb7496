import type { Ps } from '../../emulator/kernel/index.ts';
import type { Interconnect, MasterId } from '../interconnect/index.ts';
import type { WalkBus } from './iommu.ts';

/**
 * The IOMMU's table walker as a bus master: registers `master` on the interconnect (one small-burst
 * read port; walks are single-descriptor reads) and times each descriptor read with the atomic path,
 * so walks compete with other traffic and are counted under bus.<master>.* in the stats.
 */
export function interconnectWalkBus(ic: Interconnect, master: string, maxOutstanding = 1): WalkBus & { readonly id: MasterId } {
  const id = ic.addMaster({ name: master, widthBytes: 8, maxBurstBeats: 1, maxOutstanding });
  return {
    id,
    access: (addr: number, len: number, isWrite: boolean, now: Ps): Ps => ic.access(id, addr, len, isWrite, now),
  };
}
