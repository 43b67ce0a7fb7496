import { FIMC_SLOTS } from './fimc.ts';
import type { Fimc } from './fimc.ts';
import { Vb2Queue } from './vb2-queue.ts';
import type { Vb2Buffer, Vb2Driver, Vb2MemOps, Vb2QueueOptions } from './vb2-queue.ts';

export interface FimcCaptureOptions extends Vb2QueueOptions {
  /** Runs the frame-end interrupt handler on a CPU (charging its cycles); default: directly. */
  runIrq?: (handler: () => void) => void;
}

/**
 * The capture driver: a vb2 queue whose buffers are programmed into the FIMC's four output slots in the
 * order the hardware will use them; the frame-end interrupt returns the slot's buffer (vb2_buffer_done,
 * which runs the finish memop) and refills free slots with queued buffers.
 */
export class FimcCapture implements Vb2Driver {
  readonly queue: Vb2Queue;
  private readonly slotBuf: (Vb2Buffer | undefined)[] = new Array<Vb2Buffer | undefined>(FIMC_SLOTS).fill(undefined);
  private pending: Vb2Buffer[] = [];
  private listeners: (() => void)[] = [];
  interrupts = 0;

  constructor(
    readonly fimc: Fimc,
    memops: Vb2MemOps,
    private readonly opts: FimcCaptureOptions = {},
  ) {
    this.queue = new Vb2Queue(fimc.cfg.name, this, memops, opts);
    fimc.onFrameEnd((slot, seq) => {
      const run = this.opts.runIrq;
      if (run) run(() => this.frameEnd(slot, seq));
      else this.frameEnd(slot, seq);
    });
  }

  /** Called after each completed frame (the user's poll wake-up). */
  onFrameDone(fn: () => void): void {
    this.listeners.push(fn);
  }

  planeSizes(): number[] {
    return this.fimc.layout.planes.map((p) => p.size);
  }

  bufQueue(buf: Vb2Buffer): void {
    this.pending.push(buf);
    this.fillSlots();
  }

  startStreaming(): void {
    this.fimc.start();
  }

  stopStreaming(): void {
    this.fimc.stop();
    for (let s = 0; s < FIMC_SLOTS; s++) {
      const b = this.slotBuf[s];
      this.fimc.clearSlot(s);
      this.slotBuf[s] = undefined;
      if (b) this.queue.bufferDone(b, 'error', -1);
    }
    for (const b of this.pending) this.queue.bufferDone(b, 'error', -1);
    this.pending = [];
  }

  private frameEnd(slot: number, seq: number): void {
    this.interrupts++;
    const b = this.slotBuf[slot];
    this.slotBuf[slot] = undefined;
    if (b) this.queue.bufferDone(b, 'done', seq);
    this.fillSlots();
    for (const l of this.listeners) l();
  }

  /** Programs queued buffers into free slots, starting with the slot the next frame uses. */
  private fillSlots(): void {
    for (let k = 0; k < FIMC_SLOTS && this.pending.length > 0; k++) {
      const slot = (this.fimc.upcomingSlot + k) % FIMC_SLOTS;
      if (this.slotBuf[slot] !== undefined || !this.fimc.slotIsFree(slot)) continue;
      const b = this.pending.shift()!;
      this.slotBuf[slot] = b;
      this.fimc.setSlot(slot, b.planes.map((p) => p.dmaAddr));
    }
  }
}
