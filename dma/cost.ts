// Per-call cost of a DMA API call: filled by the ops while the call runs, read by the caller afterwards.
import type { CounterLike } from './platform.ts';

export interface DmaCallCost {
  /** CPU cycles spent inside the call: fixed overhead + maintenance + copies + zeroing. */
  cycles: number;
  bytesCleaned: number;
  bytesInvalidated: number;
  /** Clean+invalidate. */
  bytesFlushed: number;
  bytesBounced: number;
}

export function newCallCost(): DmaCallCost {
  return { cycles: 0, bytesCleaned: 0, bytesInvalidated: 0, bytesFlushed: 0, bytesBounced: 0 };
}

export function resetCallCost(c: DmaCallCost): void {
  c.cycles = 0;
  c.bytesCleaned = 0;
  c.bytesInvalidated = 0;
  c.bytesFlushed = 0;
  c.bytesBounced = 0;
}

export function addCallCost(into: DmaCallCost, c: DmaCallCost): void {
  into.cycles += c.cycles;
  into.bytesCleaned += c.bytesCleaned;
  into.bytesInvalidated += c.bytesInvalidated;
  into.bytesFlushed += c.bytesFlushed;
  into.bytesBounced += c.bytesBounced;
}


/** Global counters every call adds to: dma.cycles, dma.bytesCleaned, dma.bytesInvalidated, dma.bytesFlushed, dma.bytesBounced, dma.calls. */
export interface DmaCounters {
  readonly cycles: CounterLike;
  readonly calls: CounterLike;
  readonly bytesCleaned: CounterLike;
  readonly bytesInvalidated: CounterLike;
  readonly bytesFlushed: CounterLike;
  readonly bytesBounced: CounterLike;
}
