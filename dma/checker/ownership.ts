// Who owns each live streaming mapping under the DMA API's rules: the device from map (or
// sync_for_device) until unmap (or sync_for_cpu), the CPU otherwise. Keyed by the CPU physical range,
// because that is what the CPU touches. A handful of mappings are live at once, so a flat array is enough.
import type { DmaDirection } from '../types.ts';

export interface OwnedRange {
  /** CPU physical start and length of the mapped buffer. */
  pa: number;
  len: number;
  dev: string;
  dir: DmaDirection;
  /** DMA address handed to the device (identifies the mapping). */
  dmaAddr: number;
  owner: 'device' | 'cpu';
  /** Trace operation of the map and of the last ownership change. */
  mappedAt: number;
  changedAt: number;
}

export class OwnershipTracker {
  private readonly live: OwnedRange[] = [];

  map(dev: string, dmaAddr: number, pa: number, len: number, dir: DmaDirection, op: number): void {
    this.live.push({ pa, len, dev, dir, dmaAddr, owner: 'device', mappedAt: op, changedAt: op });
  }

  unmap(dev: string, dmaAddr: number): OwnedRange | undefined {
    const i = this.indexOf(dev, dmaAddr);
    if (i < 0) return undefined;
    const [r] = this.live.splice(i, 1);
    return r;
  }

  /** sync_for_cpu / sync_for_device of a mapping (or part of it: ownership is per mapping, as the API intends). */
  setOwner(dev: string, dmaAddr: number, owner: 'device' | 'cpu', op: number): OwnedRange | undefined {
    // A partial sync (dma_sync_single_range_for_*) names an address inside the mapping, not its start.
    let i = this.indexOf(dev, dmaAddr);
    if (i < 0) i = this.indexContaining(dev, dmaAddr);
    if (i < 0) return undefined;
    const r = this.live[i]!;
    r.owner = owner;
    r.changedAt = op;
    return r;
  }

  /** The first device-owned mapping overlapping [pa, pa+len), if any. */
  deviceOwned(pa: number, len: number): OwnedRange | undefined {
    const end = pa + len;
    for (const r of this.live) {
      if (r.owner === 'device' && r.pa < end && pa < r.pa + r.len) return r;
    }
    return undefined;
  }

  /** Any live mapping overlapping the range (either owner). */
  overlapping(pa: number, len: number): OwnedRange | undefined {
    const end = pa + len;
    for (const r of this.live) if (r.pa < end && pa < r.pa + r.len) return r;
    return undefined;
  }

  get size(): number {
    return this.live.length;
  }

  private indexContaining(dev: string, dmaAddr: number): number {
    for (let i = 0; i < this.live.length; i++) {
      const r = this.live[i]!;
      if (r.dev === dev && dmaAddr > r.dmaAddr && dmaAddr < r.dmaAddr + r.len) return i;
    }
    return -1;
  }

  private indexOf(dev: string, dmaAddr: number): number {
    for (let i = 0; i < this.live.length; i++) {
      const r = this.live[i]!;
      if (r.dmaAddr === dmaAddr && r.dev === dev) return i;
    }
    return -1;
  }
}
