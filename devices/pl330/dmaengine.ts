import { DeviceError } from '../common/bus-port.ts';
import type { Pl330, Pl330Channel } from './pl330.ts';
import { memcpyProgram, peripheralProgram } from './programs.ts';

// A dmaengine-like client API over the PL330 model: prepare a descriptor on a channel, submit it (cookie),
// issue pending work, terminate, and query status with residue. The programs of issued descriptors run back
// to back on the channel (the controller-side request queue of the Linux driver), so no CPU is needed
// between segments; the client's callback runs from the interrupt (DMASEV, event = channel number) raised
// at the end of a descriptor, or of each period of a cyclic one.

export type TransferDirection = 'MEM_TO_MEM' | 'MEM_TO_DEV' | 'DEV_TO_MEM';
export type TxStatus = 'complete' | 'in-progress' | 'error';

export interface SlaveConfig {
  periph: number;
  /** Peripheral FIFO register address. */
  fifoAddr: number;
  /** Beat size (addr_width), bytes. */
  beatBytes: number;
  /** maxburst in beats. */
  burstLen: number;
}

export interface SgSegment {
  addr: number;
  len: number;
}

export interface DmaDescriptor {
  readonly kind: 'memcpy' | 'slave-sg' | 'cyclic';
  readonly direction: TransferDirection;
  /** One program per segment (or per period). */
  readonly programs: Uint32Array[];
  readonly segments: SgSegment[];
  readonly totalBytes: number;
  cookie: number;
  /** Called once per descriptor, or once per period for cyclic ones. */
  callback: (() => void) | undefined;
}

export interface EngineOptions {
  /** Beats per memcpy burst (MDMA 8 × 8 B, PDMA 4 × 4 B per REFERENCE §1). */
  memcpyBurstLen: number;
  /** Runs an interrupt handler on a CPU (charging its cycles); default: call it directly. */
  runIrq?: (handler: () => void) => void;
}

/** One client channel bound to a hardware channel. */
export class DmaChan {
  private queue: DmaDescriptor[] = [];
  private issued: DmaDescriptor[] = [];
  private active: DmaDescriptor | undefined;
  private toNotify: DmaDescriptor[] = [];
  private seg = 0;
  private lastCookie = 0;
  private completedCookie = 0;
  private failed = false;
  /** Interrupts taken (descriptor completions and cyclic periods). */
  interrupts = 0;

  constructor(
    readonly engine: Pl330DmaEngine,
    readonly hw: Pl330Channel,
  ) {}

  prepMemcpy(dst: number, src: number, len: number): DmaDescriptor {
    const beatBytes = this.engine.ctl.port.widthBytes;
    const p = memcpyProgram({ src, dst, len, beatBytes, burstLen: this.engine.opts.memcpyBurstLen, event: this.hw.id });
    return makeDesc('memcpy', 'MEM_TO_MEM', [p], [{ addr: dst, len }]);
  }

  prepSlaveSg(sg: SgSegment[], direction: 'MEM_TO_DEV' | 'DEV_TO_MEM', cfg: SlaveConfig): DmaDescriptor {
    if (sg.length === 0) throw new DeviceError(`${this.engine.ctl.name}: prep_slave_sg with no segments`);
    const last = sg.length - 1;
    const programs = sg.map((s, i) => this.periphProgram(s, direction, cfg, i === last));
    return makeDesc('slave-sg', direction, programs, sg);
  }

  prepDmaCyclic(buf: number, bufLen: number, periodLen: number, direction: 'MEM_TO_DEV' | 'DEV_TO_MEM', cfg: SlaveConfig): DmaDescriptor {
    if (!(periodLen > 0) || bufLen % periodLen !== 0 || bufLen === 0) {
      throw new DeviceError(`${this.engine.ctl.name}: prep_dma_cyclic buffer of ${bufLen} B must be a whole number (≥ 1) of ${periodLen}-B periods`);
    }
    const segs: SgSegment[] = [];
    for (let off = 0; off < bufLen; off += periodLen) segs.push({ addr: buf + off, len: periodLen });
    return makeDesc('cyclic', direction, segs.map((s) => this.periphProgram(s, direction, cfg, true)), segs);
  }

  private periphProgram(s: SgSegment, direction: 'MEM_TO_DEV' | 'DEV_TO_MEM', cfg: SlaveConfig, event: boolean): Uint32Array {
    return peripheralProgram({
      mem: s.addr,
      fifo: cfg.fifoAddr,
      len: s.len,
      periph: cfg.periph,
      beatBytes: cfg.beatBytes,
      burstLen: cfg.burstLen,
      toDevice: direction === 'MEM_TO_DEV',
      event: event ? this.hw.id : -1,
    });
  }

  submit(desc: DmaDescriptor): number {
    desc.cookie = ++this.lastCookie;
    this.queue.push(desc);
    return desc.cookie;
  }

  issuePending(): void {
    for (const d of this.queue) this.issued.push(d);
    this.queue = [];
    if (!this.active) this.startNext();
  }

  terminateAll(): void {
    this.hw.kill();
    this.queue = [];
    this.issued = [];
    this.toNotify = [];
    this.active = undefined;
    this.failed = false;
  }

  txStatus(cookie: number): { status: TxStatus; residue: number } {
    const a = this.active;
    if (a && a.cookie === cookie) return { status: this.failed ? 'error' : 'in-progress', residue: this.residue(a) };
    if (cookie <= this.completedCookie) return { status: 'complete', residue: 0 };
    const waiting = this.issued.find((d) => d.cookie === cookie) ?? this.queue.find((d) => d.cookie === cookie);
    if (!waiting) throw new DeviceError(`${this.engine.ctl.name} chan ${this.hw.id}: unknown cookie ${cookie}`);
    return { status: 'in-progress', residue: waiting.totalBytes };
  }

  /** Bytes not yet transferred, from the channel's progress within the current segment. */
  private residue(d: DmaDescriptor): number {
    let done = 0;
    for (let i = 0; i < this.seg; i++) done += d.segments[i]!.len;
    const s = d.segments[this.seg];
    if (s && this.hw.state !== 'stopped') {
      // Memory side of the transfer: loads for MEM_TO_DEV, stores otherwise (completed bursts only).
      done += Math.min(s.len, d.direction === 'MEM_TO_DEV' ? this.hw.bytesLoaded : this.hw.bytesStored);
    }
    return d.totalBytes - done;
  }

  /** Cyclic: byte offset of the memory-side position within the buffer (the ALSA hardware pointer). */
  position(): number {
    const d = this.active;
    if (!d) return 0;
    return d.totalBytes - this.residue(d);
  }

  private startNext(): void {
    const d = this.issued.shift();
    this.active = d;
    this.seg = 0;
    this.failed = false;
    if (d) this.hw.start(d.programs[0]!, () => this.segmentDone());
  }

  private segmentDone(): void {
    const d = this.active!;
    this.seg++;
    if (d.kind === 'cyclic' && this.seg === d.programs.length) this.seg = 0;
    if (this.seg < d.programs.length) {
      this.hw.start(d.programs[this.seg]!, () => this.segmentDone());
      return;
    }
    this.completedCookie = d.cookie;
    this.toNotify.push(d);
    this.startNext();
  }

  /** @internal The channel's interrupt. */
  interrupt(): void {
    this.interrupts++;
    const d = this.active;
    if (d && d.kind === 'cyclic') {
      d.callback?.();
      return;
    }
    const done = this.toNotify;
    this.toNotify = [];
    for (const x of done) x.callback?.();
  }

  /** @internal */ faulted(): void {
    this.failed = true;
  }
}

function makeDesc(kind: DmaDescriptor['kind'], direction: TransferDirection, programs: Uint32Array[], segments: SgSegment[]): DmaDescriptor {
  let total = 0;
  for (const s of segments) total += s.len;
  return { kind, direction, programs, segments, totalBytes: total, cookie: 0, callback: undefined };
}

/** The dmaengine provider for one controller: hands out channels and routes interrupts to them. */
export class Pl330DmaEngine {
  private readonly chans: (DmaChan | undefined)[];

  constructor(
    readonly ctl: Pl330,
    readonly opts: EngineOptions,
  ) {
    this.chans = new Array<DmaChan | undefined>(ctl.channels.length).fill(undefined);
    ctl.onInterrupt((ev) => this.dispatch(ev));
    ctl.onFault((hw) => this.chans[hw.id]?.faulted());
  }

  /** dma_request_chan: binds the first free hardware channel. */
  requestChannel(): DmaChan {
    const i = this.chans.findIndex((c) => c === undefined);
    if (i < 0) throw new DeviceError(`${this.ctl.name}: all ${this.chans.length} channels are in use`);
    const c = new DmaChan(this, this.ctl.channel(i));
    this.chans[i] = c;
    return c;
  }

  private dispatch(ev: number): void {
    const c = this.chans[ev];
    if (!c) return;
    const run = this.opts.runIrq;
    if (run) run(() => c.interrupt());
    else c.interrupt();
  }
}
