import type { EventTarget, Simulator } from '../../emulator/kernel/index.ts';
import { PS_PER_S } from '../../emulator/kernel/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import type { DmaBusPort, TransferSink } from '../common/bus-port.ts';
import { frameLayout } from './formats.ts';
import type { FrameLayout, PixelFormat } from './formats.ts';
import { LinePattern } from './pattern.ts';

export const FIMC_SLOTS = 4;

export interface FimcConfig {
  name: string;
  format: PixelFormat;
  width: number;
  height: number;
  fps: number;
  /** Luma lines captured per DMA event (one interconnect transfer per plane region per group). */
  linesPerGroup: number;
  /** Sensor lines per frame including vertical blanking (1125 for 1080p). Default height × 1125/1080. */
  verticalTotal?: number;
  /** Line groups the output FIFO can hold while the bus lags (beyond that the frame overflows). */
  stagingGroups?: number;
}

/**
 * FIMC-like capture engine: a sensor produces lines at the frame rate; each group of lines is written by the
 * camera's DMA as one interconnect transfer per plane region, to the output address slot of the frame
 * (four slots rotated per frame); one interrupt per frame once its last write completed. A frame whose slot
 * has no address programmed is dropped. Every line carries the verifiable pattern (pattern.ts).
 */
export class Fimc implements EventTarget, TransferSink {
  readonly layout: FrameLayout;
  readonly cfg: FimcConfig;
  /** Frames the sensor produced, captured into a buffer, dropped (no buffer) and overflowed (bus too slow). */
  framesProduced = 0;
  framesCaptured = 0;
  framesDropped = 0;
  groupsOverflowed = 0;
  running = false;

  private readonly slotAddr: Float64Array;
  private readonly slotValid = new Uint8Array(FIMC_SLOTS);
  private readonly slotPending = new Int32Array(FIMC_SLOTS);
  private readonly slotFrame = new Float64Array(FIMC_SLOTS);
  private readonly slotProducing = new Uint8Array(FIMC_SLOTS);
  private nextSlot = 0;
  private frameHandler: ((slot: number, sequence: number) => void) | undefined;

  private readonly framePs: number;
  private readonly groupPs: number;
  private readonly groups: number;
  private frame = 0;
  private group = 0;
  private curSlot = -1;
  private epoch = 0;

  // Staging: the groups waiting for their bus transfer to complete (the output FIFO's entries). A group's
  // bytes are the pattern of (frame, lines), a pure function, so an entry keeps only those numbers, and the
  // write that lands hands memory that pattern (a LinePattern): DRAM computes the bytes a reader asks for
  // instead of the host copying every frame's megabytes.
  private readonly stFrame: Float64Array;
  private readonly stFirstLine: Int32Array;
  private readonly stStride: Int32Array;
  private readonly stAddr: Float64Array;
  private readonly stLen: Int32Array;
  private readonly stSlot: Int8Array;
  private readonly stFree: Int32Array;
  private stFreeTop: number;

  constructor(
    private readonly sim: Simulator,
    private readonly port: DmaBusPort,
    cfg: FimcConfig,
  ) {
    this.cfg = cfg;
    this.layout = frameLayout(cfg.format, cfg.width, cfg.height);
    if (!(cfg.fps > 0 && cfg.fps <= 240)) throw new DeviceError(`${cfg.name}: fps must be in (0, 240], got ${cfg.fps}`);
    if (!Number.isInteger(cfg.linesPerGroup) || cfg.linesPerGroup < 2 || cfg.linesPerGroup % 2 !== 0) {
      throw new DeviceError(`${cfg.name}: linesPerGroup must be an even integer ≥ 2, got ${cfg.linesPerGroup}`);
    }
    this.slotAddr = new Float64Array(FIMC_SLOTS * this.layout.planes.length);
    this.framePs = Math.round(PS_PER_S / cfg.fps);
    const vtotal = cfg.verticalTotal ?? Math.round((cfg.height * 1125) / 1080);
    this.groupPs = Math.round((this.framePs / vtotal) * cfg.linesPerGroup);
    this.groups = Math.ceil(cfg.height / cfg.linesPerGroup);
    const n = (cfg.stagingGroups ?? 16) * this.layout.regions.length;
    this.stFrame = new Float64Array(n);
    this.stFirstLine = new Int32Array(n);
    this.stStride = new Int32Array(n);
    this.stAddr = new Float64Array(n);
    this.stLen = new Int32Array(n);
    this.stSlot = new Int8Array(n);
    this.stFree = new Int32Array(n);
    for (let i = 0; i < n; i++) this.stFree[i] = n - 1 - i;
    this.stFreeTop = n;
  }

  /** Frame period in ps. */
  get framePeriodPs(): number {
    return this.framePs;
  }

  /** The frame-end interrupt: slot and the frame's sequence number. */
  onFrameEnd(handler: (slot: number, sequence: number) => void): void {
    this.frameHandler = handler;
  }

  /** Programs an output slot with one DMA address per plane. */
  setSlot(slot: number, planeAddrs: number[]): void {
    if (!(slot >= 0 && slot < FIMC_SLOTS)) throw new DeviceError(`${this.cfg.name}: slot must be 0..${FIMC_SLOTS - 1}, got ${slot}`);
    if (planeAddrs.length !== this.layout.planes.length) throw new DeviceError(`${this.cfg.name}: slot needs ${this.layout.planes.length} plane address(es)`);
    if (this.slotProducing[slot]) throw new DeviceError(`${this.cfg.name}: slot ${slot} reprogrammed while its frame is being written`);
    for (let p = 0; p < planeAddrs.length; p++) this.slotAddr[slot * planeAddrs.length + p] = planeAddrs[p]!;
    this.slotValid[slot] = 1;
  }
  clearSlot(slot: number): void {
    this.slotValid[slot] = 0;
  }
  slotIsFree(slot: number): boolean {
    return this.slotValid[slot] === 0;
  }
  /** The slot the next frame will use. */
  get upcomingSlot(): number {
    return this.nextSlot;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.epoch++;
    this.group = 0;
    this.beginFrame();
  }

  stop(): void {
    this.running = false;
    this.epoch++;
    this.slotProducing.fill(0);
    this.slotPending.fill(0);
    this.curSlot = -1;
  }

  private beginFrame(): void {
    this.framesProduced++;
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % FIMC_SLOTS;
    if (this.slotValid[slot] && !this.slotProducing[slot]) {
      this.curSlot = slot;
      this.slotProducing[slot] = 1;
      this.slotFrame[slot] = this.frame;
    } else {
      this.curSlot = -1;
      this.framesDropped++;
    }
    this.group = 0;
    this.sim.post(this.groupPs, this, this.epoch);
  }

  /** A group of lines has been captured (arg = epoch; stale events after stop are ignored). */
  onEvent(arg: number): void {
    if (arg !== this.epoch || !this.running) return;
    const g = this.group;
    if (this.curSlot >= 0) this.writeGroup(this.curSlot, g);
    this.group++;
    if (this.group < this.groups) {
      this.sim.post(this.groupPs, this, this.epoch);
      return;
    }
    // Last group: vertical blanking until the next frame.
    if (this.curSlot >= 0) this.maybeFrameEnd(this.curSlot, true);
    this.frame++;
    const elapsed = this.groups * this.groupPs;
    this.sim.schedule(Math.max(0, this.framePs - elapsed), () => {
      if (arg === this.epoch && this.running) this.beginFrame();
    });
  }

  private allDone = new Uint8Array(FIMC_SLOTS);

  private writeGroup(slot: number, g: number): void {
    const L = this.layout;
    const G = this.cfg.linesPerGroup;
    const h = this.cfg.height;
    let frameLine = 0;
    for (const r of L.regions) {
      const first = Math.floor((g * G * r.lines) / h);
      const last = Math.floor((Math.min(h, (g + 1) * G) * r.lines) / h);
      const count = last - first;
      if (count > 0) {
        if (this.stFreeTop === 0) {
          this.groupsOverflowed++;
        } else {
          const st = this.stFree[--this.stFreeTop]!;
          const len = count * r.stride;
          this.stFrame[st] = this.frame;
          this.stFirstLine[st] = frameLine + first;
          this.stStride[st] = r.stride;
          const addr = this.slotAddr[slot * L.planes.length + r.plane]! + r.offset + first * r.stride;
          this.stAddr[st] = addr;
          this.stLen[st] = len;
          this.stSlot[st] = slot;
          this.slotPending[slot]!++;
          this.port.transfer(addr, len, true, this, st);
        }
      }
      frameLine += r.lines;
    }
  }

  onTransferDone(st: number): void {
    const slot = this.stSlot[st]!;
    this.stFree[this.stFreeTop++] = st;
    if (!this.slotProducing[slot]) return; // stopped meanwhile
    this.port.writeFrom(this.stAddr[st]!, this.stLen[st]!, new LinePattern(this.stStride[st]!, this.stFrame[st]!, this.stFirstLine[st]!));
    this.slotPending[slot]!--;
    this.maybeFrameEnd(slot, false);
  }

  private maybeFrameEnd(slot: number, lastGroupIssued: boolean): void {
    if (lastGroupIssued) this.allDone[slot] = 1;
    if (!this.allDone[slot] || this.slotPending[slot]! > 0) return;
    this.allDone[slot] = 0;
    this.slotProducing[slot] = 0;
    this.slotValid[slot] = 0;
    this.framesCaptured++;
    const seq = this.slotFrame[slot]!;
    this.frameHandler?.(slot, seq);
  }
}
