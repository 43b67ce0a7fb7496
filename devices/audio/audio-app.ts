import type { Simulator } from '../../emulator/kernel/index.ts';
import type { PcmStream } from './pcm.ts';
import { countBadBlocks, writeStream } from './sample-pattern.ts';

export interface AudioAppOptions {
  /** Delay between a period interrupt and the application running (scheduler latency). Default 50 us. */
  wakeLatencyPs?: number;
  /** Starvation: from `atPs` the application does not run for `forPs` (e.g. a higher-priority task hogs the CPU). */
  stall?: { atPs: number; forPs: number };
  /** Charges the application's CPU cycles (memory access and syncs) to a core; returns ps spent. */
  charge?: (cycles: number) => number;
}

/**
 * The user-space side of a PCM stream. Playback: on each period interrupt (after its wake latency) it
 * writes every available period with the stream pattern through its CPU mapping and, for non-coherent
 * buffers, syncs them for the device (as the ALSA core does after the copy). Capture: syncs each available
 * period for the CPU and verifies it. Counts bad capture blocks.
 */
export class AudioApp {
  bytesWritten = 0;
  bytesRead = 0;
  badCaptureBlocks = 0;
  cpuCycles = 0;
  private readonly period: Uint8Array;
  private readonly ref: Uint8Array;
  private wakePending = false;

  constructor(
    private readonly sim: Simulator,
    readonly pcm: PcmStream,
    private readonly opts: AudioAppOptions = {},
  ) {
    this.period = new Uint8Array(pcm.cfg.periodBytes);
    this.ref = new Uint8Array(pcm.cfg.periodBytes);
    pcm.onPeriod(() => this.wake());
  }

  /** Fills the whole ring (start threshold = buffer size) and starts the stream. */
  start(): void {
    if (this.pcm.cfg.direction === 'playback') this.service();
    this.pcm.start();
  }

  private wake(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    let delay = this.opts.wakeLatencyPs ?? 50_000_000;
    const st = this.opts.stall;
    const t = this.sim.now + delay;
    if (st && t >= st.atPs && t < st.atPs + st.forPs) delay = st.atPs + st.forPs - this.sim.now;
    this.sim.schedule(delay, () => {
      this.wakePending = false;
      this.service();
    });
  }

  private service(): void {
    const pcm = this.pcm;
    const P = pcm.cfg.periodBytes;
    const buf = pcm.buffer;
    let cycles = 0;
    if (pcm.cfg.direction === 'playback') {
      while (pcm.avail() >= P) {
        const off = pcm.applPtr % pcm.bufferBytes;
        writeStream(this.period, 0, pcm.applPtr, P);
        cycles += buf.cpuWrite(off, this.period, 0, P);
        if (buf.needsSync) cycles += buf.syncForDevice(off, P, true);
        pcm.advanceAppl(P);
        this.bytesWritten += P;
      }
    } else {
      while (pcm.avail() >= P) {
        const off = pcm.applPtr % pcm.bufferBytes;
        if (buf.needsSync) cycles += buf.syncForCpu(off, P, false);
        cycles += buf.cpuRead(off, this.period, 0, P);
        this.badCaptureBlocks += countBadBlocks(this.period, 0, this.ref, pcm.applPtr, P);
        if (buf.needsSync) cycles += buf.syncForDevice(off, P, false);
        pcm.advanceAppl(P);
        this.bytesRead += P;
      }
    }
    this.cpuCycles += cycles;
    this.opts.charge?.(cycles);
  }
}
