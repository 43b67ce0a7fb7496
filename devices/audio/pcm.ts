import type { Simulator } from '../../emulator/kernel/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import type { DmaChan, DmaDescriptor } from '../pl330/index.ts';
import type { I2s } from './i2s.ts';
import type { PcmBuffer } from './pcm-buffer.ts';

export type PcmDirection = 'playback' | 'capture';

export interface PcmConfig {
  direction: PcmDirection;
  /** Bytes per period (1024 frames × 4 B = 4096 by default). */
  periodBytes: number;
  periods: number;
  /** Beats per DMA request (the I2S maxburst; Samsung: 1). */
  burstLen: number;
}

/**
 * An ALSA-like PCM substream on the dmaengine PCM model: one cyclic transfer over the whole ring with an
 * interrupt per period; at each interrupt the hardware pointer is read from the DMA position
 * (snd_pcm_period_elapsed → pointer callback → residue) and xruns are detected: playback underruns when the
 * hardware pointer passes the application pointer, capture overruns when the application falls a whole
 * buffer behind. Pointers are monotonic byte counts (the ring offset is pointer mod buffer size).
 */
export class PcmStream {
  readonly cfg: PcmConfig;
  readonly bufferBytes: number;
  hwPtr = 0;
  applPtr = 0;
  xruns = 0;
  periodsElapsed = 0;
  running = false;
  private desc: DmaDescriptor | undefined;
  private ringBase = 0; // hwPtr at the last wrap of the DMA position
  private lastPos = 0;
  private listeners: (() => void)[] = [];

  constructor(
    private readonly sim: Simulator,
    readonly chan: DmaChan,
    readonly i2s: I2s,
    readonly buffer: PcmBuffer,
    cfg: PcmConfig,
  ) {
    if (!(cfg.periods >= 2 && cfg.periods <= 128)) throw new DeviceError(`pcm: periods must be 2..128, got ${cfg.periods}`);
    if (!(cfg.periodBytes >= 64) || cfg.periodBytes % 1024 !== 0) throw new DeviceError(`pcm: period bytes must be a multiple of 1024, got ${cfg.periodBytes}`);
    if (cfg.periodBytes * cfg.periods > buffer.bytes) throw new DeviceError(`pcm: ${cfg.periods} × ${cfg.periodBytes} B exceeds the ${buffer.bytes}-B buffer`);
    this.cfg = cfg;
    this.bufferBytes = cfg.periodBytes * cfg.periods;
  }

  /** The application waits for period interrupts (poll). */
  onPeriod(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Frames (bytes) the application may write (playback) or read (capture) now. */
  avail(): number {
    return this.cfg.direction === 'playback' ? this.bufferBytes - (this.applPtr - this.hwPtr) : this.hwPtr - this.applPtr;
  }

  /** The application moved its pointer by `bytes` after writing/reading them. */
  advanceAppl(bytes: number): void {
    this.applPtr += bytes;
  }

  /** SNDRV_PCM_TRIGGER_START: one cyclic descriptor over the ring, then the I2S clock. */
  start(): void {
    if (this.running) return;
    const toDev = this.cfg.direction === 'playback';
    const i = this.i2s.cfg;
    const slave = { periph: toDev ? i.txPeriph : i.rxPeriph, fifoAddr: toDev ? i.txFifoAddr : i.rxFifoAddr, beatBytes: i.frameBytes, burstLen: this.cfg.burstLen };
    this.desc = this.chan.prepDmaCyclic(this.buffer.dmaAddr, this.bufferBytes, this.cfg.periodBytes, toDev ? 'MEM_TO_DEV' : 'DEV_TO_MEM', slave);
    this.desc.callback = () => this.periodElapsed();
    this.chan.submit(this.desc);
    this.chan.issuePending();
    this.running = true;
    this.lastPos = 0;
    this.ringBase = this.hwPtr - (this.hwPtr % this.bufferBytes);
    if (toDev) this.i2s.startTx(this.hwPtr);
    else this.i2s.startRx();
  }

  stop(): void {
    if (!this.running) return;
    this.chan.terminateAll();
    if (this.cfg.direction === 'playback') this.i2s.stopTx();
    else this.i2s.stopRx();
    this.running = false;
  }

  /** The pointer callback: the memory-side DMA position, rounded down to whole periods as the IRQ reports. */
  private updateHwPtr(): void {
    const pos = this.chan.position();
    if (pos < this.lastPos) this.ringBase += this.bufferBytes;
    this.lastPos = pos;
    this.hwPtr = this.ringBase + pos - (pos % this.cfg.periodBytes);
  }

  private periodElapsed(): void {
    this.periodsElapsed++;
    // The interrupt reports a completed period; the DMA may already be a little into the next one.
    const before = this.hwPtr;
    this.updateHwPtr();
    if (this.hwPtr <= before) this.hwPtr = before + this.cfg.periodBytes;
    if (this.cfg.direction === 'playback') {
      if (this.hwPtr > this.applPtr) {
        // Underrun: ALSA would stop and the app re-prepare; we count it and resynchronise the app pointer.
        this.xruns++;
        this.applPtr = this.hwPtr;
      }
    } else if (this.hwPtr - this.applPtr > this.bufferBytes) {
      this.xruns++;
      this.applPtr = this.hwPtr - this.cfg.periodBytes;
    }
    for (const l of this.listeners) l();
  }

  /** Simulated time now (for the application's wake-up accounting). */
  get now(): number {
    return this.sim.now;
  }
}
