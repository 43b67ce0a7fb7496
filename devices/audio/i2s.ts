import type { EventTarget, Simulator } from '../../emulator/kernel/index.ts';
import { PS_PER_S } from '../../emulator/kernel/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import type { PeripheralEndpoint, Pl330 } from '../pl330/index.ts';
import { BLOCK_BYTES, blockFillWord, expectedWord } from './sample-pattern.ts';

const BLOCK_WORDS = BLOCK_BYTES / 4;

export interface I2sConfig {
  name: string;
  sampleRate: number;
  /** Bytes per FIFO word: one stereo S16 frame = 4. */
  frameBytes: number;
  /** FIFO depth in words (Samsung I2S: 64). */
  fifoWords: number;
  /** The PL330 request lines (I2S0 tx/rx on pdma0 = 12/11). */
  txPeriph: number;
  rxPeriph: number;
  /** FIFO register addresses (I2STXD / I2SRXD). */
  txFifoAddr: number;
  rxFifoAddr: number;
}

/**
 * I2S controller with TX and RX FIFOs clocked at the sample rate. The FIFO level is computed from time
 * (words drained = elapsed / frame period), so the model needs an event only when the level crosses the
 * request watermark (half the FIFO), not per sample. TX asks the DMA for words when half empty and counts
 * underrun words (the codec got nothing) and wrong words (the codec got data that is not the stream: stale
 * or repeated). RX produces the stream pattern and counts overrun words (FIFO full, a sample lost).
 */
export class I2s {
  readonly cfg: I2sConfig;
  readonly tx: PeripheralEndpoint;
  readonly rx: PeripheralEndpoint;
  private readonly periodPs: number;
  // TX
  txRunning = false;
  private txStart = 0;
  private txPushed = 0; // words pushed since start
  private txRequested = 0; // requests raised and not yet answered by a push
  txUnderrunWords = 0;
  txWrongWords = 0;
  txWordsPlayed = 0;
  // Where the next pushed word sits in the stream pattern (block, word within it, the block's fill word):
  // kept as a cursor so checking a word costs a compare, not a division (same words as expectedWord).
  private txBlock = 0;
  private txWordInBlock = 0;
  private txBlockFill = 0;
  private underrunCounted = 0;
  // RX
  rxRunning = false;
  private rxStart = 0;
  private rxPopped = 0;
  private rxRequested = 0;
  private rxLostBase = 0;
  rxOverrunWords = 0;
  private readonly rxWord = new Uint8Array(4);
  private readonly txTarget: EventTarget;
  private readonly rxTarget: EventTarget;
  private txEpoch = 0;
  private rxEpoch = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly dma: Pl330,
    cfg: I2sConfig,
  ) {
    if (cfg.frameBytes !== 4) throw new DeviceError(`${cfg.name}: only 4-byte FIFO words (stereo S16) are modelled, got ${cfg.frameBytes}`);
    if (!(cfg.fifoWords >= 2)) throw new DeviceError(`${cfg.name}: fifoWords must be ≥ 2, got ${cfg.fifoWords}`);
    this.cfg = cfg;
    this.periodPs = PS_PER_S / cfg.sampleRate;
    this.txTarget = { onEvent: (e) => e === this.txEpoch && this.txCheck() };
    this.rxTarget = { onEvent: (e) => e === this.rxEpoch && this.rxCheck() };
    const self = this;
    this.tx = {
      fifoAddr: cfg.txFifoAddr,
      push(src, off, len) {
        self.txPush(src, off, len);
      },
      pop() {
        throw new DeviceError(`${cfg.name}: DMA load from the TX FIFO register`);
      },
      flush() {
        self.txRequested = 0;
        if (self.txRunning) self.txCheck();
      },
    };
    this.rx = {
      fifoAddr: cfg.rxFifoAddr,
      push() {
        throw new DeviceError(`${cfg.name}: DMA store to the RX FIFO register`);
      },
      pop(dst, off, len) {
        self.rxPop(dst, off, len);
      },
      flush() {
        self.rxRequested = 0;
        if (self.rxRunning) self.rxCheck();
      },
    };
  }

  private drained(now: number): number {
    return Math.floor((now - this.txStart) / this.periodPs);
  }

  /** TX FIFO level in words now (0 when starved). */
  txLevel(): number {
    return Math.max(0, this.txPushed - this.drained(this.sim.now));
  }

  /** Starts the TX clock; the FIFO is empty and asks for a full FIFO of words. */
  startTx(streamPos = 0): void {
    this.txRunning = true;
    this.txEpoch++;
    this.txStart = this.sim.now;
    this.txPushed = 0;
    this.txRequested = 0;
    this.txBlock = Math.floor(streamPos / BLOCK_BYTES);
    this.txWordInBlock = (streamPos - this.txBlock * BLOCK_BYTES) / 4;
    this.txBlockFill = blockFillWord(this.txBlock);
    this.underrunCounted = 0;
    this.txCheck();
  }
  stopTx(): void {
    this.settleUnderrun();
    this.txRunning = false;
    this.txEpoch++;
  }

  /** Words the codec needed that were not in the FIFO, up to now. */
  private settleUnderrun(): void {
    this.settleUnderrunAt(this.drained(this.sim.now));
  }
  /** settleUnderrun with the drained count already computed (the per-word push needs it too). */
  private settleUnderrunAt(drained: number): void {
    if (!this.txRunning) return;
    const missing = Math.max(0, drained - this.txPushed);
    if (missing > this.underrunCounted) {
      this.txUnderrunWords += missing - this.underrunCounted;
      this.underrunCounted = missing;
    }
  }

  private txPush(src: Uint8Array, off: number, len: number): void {
    if (!this.txRunning) return;
    for (let o = 0; o < len; o += 4) {
      const w = (src[off + o]! | (src[off + o + 1]! << 8) | (src[off + o + 2]! << 16) | (src[off + o + 3]! << 24)) >>> 0;
      const expected = this.txWordInBlock === 0 ? this.txBlock >>> 0 : this.txBlockFill;
      if (w !== expected) this.txWrongWords++;
      if (++this.txWordInBlock >= BLOCK_WORDS) {
        this.txWordInBlock -= BLOCK_WORDS;
        this.txBlock++;
        this.txBlockFill = blockFillWord(this.txBlock);
      }
    }
    const words = len / 4;
    // A word pushed after the codec ran dry only fills the FIFO from now on: the drained count jumps.
    const drained = this.drained(this.sim.now);
    this.settleUnderrunAt(drained);
    if (this.txPushed < drained) this.txPushed = drained;
    this.txPushed += words;
    this.txWordsPlayed += words;
    this.txRequested = Math.max(0, this.txRequested - words);
    if (this.txRequested === 0) this.scheduleTxCheck();
  }

  /** Raises requests up to a full FIFO when at or below the watermark, else waits until it is. */
  private txCheck(): void {
    if (!this.txRunning) return;
    this.settleUnderrun();
    const level = this.txLevel();
    const water = this.cfg.fifoWords >> 1;
    if (level <= water) {
      const want = this.cfg.fifoWords - level - this.txRequested;
      for (let i = 0; i < want; i++) {
        this.txRequested++;
        this.dma.request(this.cfg.txPeriph);
      }
    }
    if (this.txRequested === 0) this.scheduleTxCheck();
  }

  private scheduleTxCheck(): void {
    const water = this.cfg.fifoWords >> 1;
    const drained = this.drained(this.sim.now);
    const pushed = Math.max(this.txPushed, drained);
    const at = this.txStart + Math.ceil((pushed - water) * this.periodPs);
    this.sim.post(Math.max(Math.round(this.periodPs), at - this.sim.now), this.txTarget, this.txEpoch);
  }

  // RX: words produced = elapsed / period; the DMA pops them; beyond the FIFO depth samples are lost.
  startRx(): void {
    this.rxRunning = true;
    this.rxEpoch++;
    this.rxStart = this.sim.now;
    this.rxPopped = 0;
    this.rxRequested = 0;
    this.rxLostBase = 0;
    this.scheduleRxCheck();
  }
  stopRx(): void {
    this.rxRunning = false;
    this.rxEpoch++;
  }

  private produced(): number {
    return Math.floor((this.sim.now - this.rxStart) / this.periodPs);
  }
  rxLevel(): number {
    const lvl = this.produced() - this.rxLostBase - this.rxPopped;
    if (lvl > this.cfg.fifoWords) {
      this.rxOverrunWords += lvl - this.cfg.fifoWords;
      this.rxLostBase += lvl - this.cfg.fifoWords;
      return this.cfg.fifoWords;
    }
    return lvl;
  }

  private rxPop(dst: Uint8Array, off: number, len: number): void {
    const words = len / 4;
    for (let i = 0; i < words; i++) {
      // The word popped is the oldest in the FIFO: stream index popped + lost.
      const idx = this.rxPopped + this.rxLostBase;
      const w = this.rxLevel() > 0 ? expectedWord(idx * 4) : 0;
      this.rxWord[0] = w & 0xff;
      this.rxWord[1] = (w >>> 8) & 0xff;
      this.rxWord[2] = (w >>> 16) & 0xff;
      this.rxWord[3] = w >>> 24;
      dst.set(this.rxWord, off + i * 4);
      this.rxPopped++;
    }
    this.rxRequested = Math.max(0, this.rxRequested - words);
    if (this.rxRequested === 0) this.scheduleRxCheck();
  }

  private rxCheck(): void {
    if (!this.rxRunning) return;
    const level = this.rxLevel();
    const water = this.cfg.fifoWords >> 1;
    if (level >= water) {
      const want = level - this.rxRequested;
      for (let i = 0; i < want; i++) {
        this.rxRequested++;
        this.dma.request(this.cfg.rxPeriph);
      }
    }
    if (this.rxRequested === 0) this.scheduleRxCheck();
  }

  private scheduleRxCheck(): void {
    const water = this.cfg.fifoWords >> 1;
    const target = this.rxPopped + this.rxLostBase + water;
    const at = this.rxStart + Math.ceil(target * this.periodPs);
    this.sim.post(Math.max(Math.round(this.periodPs), at - this.sim.now), this.rxTarget, this.rxEpoch);
  }
}
