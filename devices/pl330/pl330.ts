import type { EventLane, EventTarget, Histogram, Simulator } from '../../emulator/kernel/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import type { DmaBusPort, TransferSink } from '../common/bus-port.ts';
import { Cond, EVENTS, Op, PERIPHERALS, dstBurstBytes, srcBurstBytes } from './isa.ts';

/** A peripheral's data FIFO as the controller sees it: the register address programs use, and the data. */
export interface PeripheralEndpoint {
  readonly fifoAddr: number;
  /** A DMA store into the peripheral (e.g. I2S TX FIFO). */
  push(src: Uint8Array, off: number, len: number): void;
  /** A DMA load from the peripheral (e.g. I2S RX FIFO). */
  pop(dst: Uint8Array, off: number, len: number): void;
  /** DMAFLUSHP: the peripheral re-asserts its request state. */
  flush?(): void;
}

export interface Pl330Config {
  name: string;
  channels: number;
  /** Total MFIFO bytes (pdma 32×4 = 128, mdma 64×8 = 512). Each channel may use all of it (see report). */
  mfifoBytes: number;
  /** Outstanding loads (and stores) per channel. */
  maxOutstanding: number;
  /** Latency of one access to a peripheral FIFO register on the APB (no DRAM involved). */
  peripheralAccessPs: number;
}

export type ChannelState = 'stopped' | 'executing' | 'waiting' | 'fault';

const W_NONE = 0;
const W_LOAD_SLOT = 1;
const W_STORE_SLOT = 3;
const W_PERIPH = 4;
const W_RMB = 5;
const W_WMB = 6;
const W_END = 7;

const MAX_Q = 32;
/** Bytes of register space a peripheral's FIFO address answers to. */
const ENDPOINT_SPAN = 8;
const KIND_STORE = 32;

/**
 * One DMA channel: a program counter over a Uint32Array program, SAR/DAR/CCR, two loop counters and its
 * share of the MFIFO (a byte ring). It interprets one burst per DMALD/DMAST: loads are issued while FIFO space
 * and outstanding slots allow, stores wait for the loaded bytes, data moves functionally when the bus says
 * the transfer completed.
 */
export class Pl330Channel implements TransferSink, EventTarget {
  readonly id: number;
  state: ChannelState = 'stopped';
  pc = 0;
  sar = 0;
  dar = 0;
  private ccrValue = 0;
  // Burst sizes decoded once per DMAMOV CCR instead of once per DMALD/DMAST.
  private srcBytes = srcBurstBytes(0);
  private dstBytes = dstBurstBytes(0);
  readonly lc = new Int32Array(2);
  faultReason = '';
  /** Bytes moved by completed stores since the program started (for residue). */
  bytesStored = 0;
  bytesLoaded = 0;

  private program: Uint32Array = new Uint32Array(1);
  private wait = W_NONE;
  private waitPeriph = -1;
  private reqKind: number = Cond.SINGLE;
  private epoch = 0;
  private onDone: (() => void) | undefined;

  private readonly fifo: Uint8Array;
  private wp = 0; // next byte position a load reserves
  private rp = 0; // next byte position a store claims
  private used = 0; // bytes reserved by loads and not yet freed by stores
  private readable = 0; // bytes arrived and not yet handed to an issued store
  private claimable = 0; // bytes reserved by loads and not yet claimed by a queued store

  // Outstanding loads and stores: small rings of (pos, len, addr, issue time, done).
  private readonly lPos = new Int32Array(MAX_Q);
  private readonly lLen = new Int32Array(MAX_Q);
  private readonly lAddr = new Float64Array(MAX_Q);
  private readonly lT = new Float64Array(MAX_Q);
  private readonly lDone = new Uint8Array(MAX_Q);
  /** Request line of the peripheral whose FIFO register the burst targets, or -1 for memory (looked up once). */
  private readonly lPeriph = new Int8Array(MAX_Q);
  private lHead = 0;
  private lCount = 0;
  private readonly sPos = new Int32Array(MAX_Q);
  private readonly sLen = new Int32Array(MAX_Q);
  private readonly sAddr = new Float64Array(MAX_Q);
  private readonly sT = new Float64Array(MAX_Q);
  private readonly sDone = new Uint8Array(MAX_Q);
  private readonly sPeriph = new Int8Array(MAX_Q);
  private sHead = 0;
  private sCount = 0;
  private sIssued = 0; // queued stores (from the head) already issued to the bus
  private readonly sim: Simulator;

  constructor(
    private readonly ctl: Pl330,
    id: number,
    mfifoBytes: number,
    private readonly q: number,
  ) {
    this.id = id;
    this.sim = ctl.sim;
    this.fifo = new Uint8Array(mfifoBytes);
  }

  get ccr(): number {
    return this.ccrValue;
  }
  set ccr(v: number) {
    this.ccrValue = v;
    this.srcBytes = srcBurstBytes(v);
    this.dstBytes = dstBurstBytes(v);
  }

  /** DMAGO. */
  start(program: Uint32Array, onDone?: () => void): void {
    if (this.state === 'executing' || this.state === 'waiting') {
      throw new DeviceError(`${this.ctl.name} channel ${this.id}: DMAGO while the channel is busy`);
    }
    if (program.length === 0) throw new DeviceError(`${this.ctl.name} channel ${this.id}: empty program`);
    this.program = program;
    this.onDone = onDone;
    this.pc = 0;
    this.lc[0] = 0;
    this.lc[1] = 0;
    this.faultReason = '';
    this.bytesStored = 0;
    this.bytesLoaded = 0;
    this.resetFifo();
    this.clearWait();
    this.run();
  }

  /** DMAKILL: stops at once; transfers in flight complete on the bus but are ignored. */
  kill(): void {
    this.epoch = (this.epoch + 1) & 0xffff;
    this.state = 'stopped';
    this.clearWait();
    this.onDone = undefined;
    this.resetFifo();
  }

  private resetFifo(): void {
    this.wp = this.rp = this.used = this.readable = this.claimable = 0;
    this.lHead = this.lCount = this.sHead = this.sCount = this.sIssued = 0;
  }

  private fault(reason: string): void {
    this.state = 'fault';
    this.faultReason = reason;
    this.clearWait();
    this.ctl.channelFault(this);
  }

  /** Resumes a channel blocked on a peripheral request. */
  periphReady(p: number): void {
    if (this.state === 'waiting' && this.wait === W_PERIPH && this.waitPeriph === p) this.run();
  }

  isWaitingFor(p: number): boolean {
    return this.state === 'waiting' && this.wait === W_PERIPH && this.waitPeriph === p;
  }

  /** Leaves any wait; a channel blocked on a peripheral stops counting as that request line's waiter. */
  private clearWait(): void {
    if (this.wait === W_PERIPH) this.ctl.periphWaiters[this.waitPeriph]!--;
    this.wait = W_NONE;
  }

  /**
   * Executes until the program blocks or ends. The program counter lives in a local while interpreting and
   * is written back before anything that may observe it (block, fault, DMAEND's callback).
   */
  run(): void {
    const prog = this.program;
    const ctl = this.ctl;
    this.state = 'executing';
    this.clearWait();
    let pc = this.pc;
    for (;;) {
      const w = prog[pc];
      if (w === undefined) {
        this.pc = pc;
        return this.fault(`pc ${pc} ran past the end of the program (no DMAEND)`);
      }
      const op = w & 0xff;
      const a = (w >>> 8) & 0xff;
      const b = w >>> 16;
      switch (op) {
        case Op.MOV: {
          const v = prog[pc + 1];
          if (v === undefined) {
            this.pc = pc;
            return this.fault('DMAMOV without its immediate');
          }
          if (a === 0) this.sar = v;
          else if (a === 1) this.ccr = v;
          else this.dar = v;
          pc += 2;
          break;
        }
        case Op.LD:
        case Op.LDP: {
          if (a !== Cond.ALWAYS && a !== this.reqKind) {
            pc++;
            break;
          }
          const bytes = this.srcBytes;
          if (bytes > this.fifo.length) {
            this.pc = pc;
            return this.fault(`DMALD of ${bytes} bytes exceeds the ${this.fifo.length}-byte MFIFO`);
          }
          if (this.lCount === this.q || this.fifo.length - this.used < bytes) return this.block(pc, W_LOAD_SLOT);
          this.issueLoad(bytes);
          pc++;
          break;
        }
        case Op.ST:
        case Op.STP: {
          if (a !== Cond.ALWAYS && a !== this.reqKind) {
            pc++;
            break;
          }
          const bytes = this.dstBytes;
          // A store is queued at once and goes to the bus when its bytes have arrived in the MFIFO; only
          // a store that no issued load can ever satisfy is an error.
          if (this.claimable < bytes) {
            this.pc = pc;
            return this.fault(`DMAST of ${bytes} bytes with only ${this.claimable} bytes loaded into the MFIFO`);
          }
          if (this.sCount === this.q) return this.block(pc, W_STORE_SLOT);
          this.queueStore(bytes);
          pc++;
          break;
        }
        case Op.LP:
          this.lc[a & 1] = b;
          pc++;
          break;
        case Op.LPEND: {
          const i = a & 1;
          if (this.lc[i]! > 0) {
            this.lc[i]!--;
            pc = b;
          } else pc++;
          break;
        }
        case Op.LPFE:
          pc = b;
          break;
        case Op.WFP:
          if (!ctl.takeRequest(b)) {
            this.waitPeriph = b;
            ctl.periphWaiters[b]!++;
            return this.block(pc, W_PERIPH);
          }
          this.reqKind = a === Cond.BURST ? Cond.BURST : Cond.SINGLE;
          pc++;
          break;
        case Op.FLUSHP:
          ctl.flushPeripheral(b);
          pc++;
          break;
        case Op.SEV:
          ctl.raise(b);
          pc++;
          break;
        case Op.RMB:
          if (this.lCount > 0) return this.block(pc, W_RMB);
          pc++;
          break;
        case Op.WMB:
          if (this.sCount > 0) return this.block(pc, W_WMB);
          pc++;
          break;
        case Op.NOP:
          pc++;
          break;
        case Op.END: {
          this.pc = pc;
          if (this.lCount > 0 || this.sCount > 0) return this.block(pc, W_END);
          this.state = 'stopped';
          const done = this.onDone;
          this.onDone = undefined;
          ctl.channelStopped(this);
          if (done) done();
          return;
        }
        default:
          this.pc = pc;
          return this.fault(`undefined instruction 0x${w.toString(16)} at pc ${pc}`);
      }
    }
  }

  /** Wraps a queue index in [0, 2q) to the ring: a compare instead of a division per burst. */
  private ring(i: number): number {
    return i >= this.q ? i - this.q : i;
  }

  /** Wraps a FIFO byte position in [0, 2 × size) (bursts never exceed the MFIFO). */
  private fifoPos(p: number): number {
    const n = this.fifo.length;
    return p >= n ? p - n : p;
  }

  /** Stops interpreting at `pc` until `reason` clears. */
  private block(pc: number, reason: number): void {
    this.pc = pc;
    this.state = 'waiting';
    this.wait = reason;
  }

  private issueLoad(bytes: number): void {
    const slot = this.ring(this.lHead + this.lCount);
    this.lCount++;
    this.lPos[slot] = this.wp;
    this.lLen[slot] = bytes;
    this.lAddr[slot] = this.sar;
    this.lDone[slot] = 0;
    this.lT[slot] = this.sim.now;
    this.wp = this.fifoPos(this.wp + bytes);
    this.used += bytes;
    this.claimable += bytes;
    const addr = this.sar;
    const periph = this.ctl.endpointLine(addr);
    this.lPeriph[slot] = periph;
    if (this.ccrValue & 1) this.sar = (this.sar + bytes) >>> 0;
    this.ctl.busTransfer(this, periph, addr, bytes, false, (this.epoch << 6) | slot);
  }

  private queueStore(bytes: number): void {
    const slot = this.ring(this.sHead + this.sCount);
    this.sCount++;
    this.sPos[slot] = this.rp;
    this.sLen[slot] = bytes;
    this.sAddr[slot] = this.dar;
    this.sPeriph[slot] = this.ctl.endpointLine(this.dar);
    this.sDone[slot] = 0;
    this.rp = this.fifoPos(this.rp + bytes);
    this.claimable -= bytes;
    if ((this.ccrValue >>> 14) & 1) this.dar = (this.dar + bytes) >>> 0;
    this.pumpStores();
  }

  /** Issues queued stores, in order, whose bytes have arrived. */
  private pumpStores(): void {
    while (this.sIssued < this.sCount) {
      const slot = this.ring(this.sHead + this.sIssued);
      const len = this.sLen[slot]!;
      if (this.readable < len) return;
      this.readable -= len;
      this.sIssued++;
      this.sT[slot] = this.sim.now;
      this.ctl.busTransfer(this, this.sPeriph[slot]!, this.sAddr[slot]!, len, true, (this.epoch << 6) | KIND_STORE | slot);
    }
  }

  onEvent(tag: number): void {
    this.onTransferDone(tag);
  }

  onTransferDone(tag: number): void {
    if (tag >>> 6 !== this.epoch || this.state === 'stopped' || this.state === 'fault') return;
    // The two halves in methods of their own: a small handler V8 inlines into the event loop.
    if (tag & KIND_STORE) this.storeDone(tag & 31);
    else this.loadDone(tag & 31);
    if (this.state === 'waiting' && this.blockCleared()) this.run();
  }

  /** The bytes leave the MFIFO for memory (or the peripheral) now that the bus completed the write. */
  private storeDone(slot: number): void {
    this.ctl.moveOut(this.sPeriph[slot]!, this.sAddr[slot]!, this.fifo, this.sPos[slot]!, this.sLen[slot]!);
    this.ctl.latency.record(this.sim.now - this.sT[slot]!);
    this.sDone[slot] = 1;
    this.bytesStored += this.sLen[slot]!;
    while (this.sCount > 0 && this.sDone[this.sHead] === 1) {
      this.used -= this.sLen[this.sHead]!;
      this.sHead = this.ring(this.sHead + 1);
      this.sCount--;
      this.sIssued--;
    }
  }

  /** The loaded bytes arrive in the MFIFO; stores waiting for them go to the bus. */
  private loadDone(slot: number): void {
    this.ctl.moveIn(this.lPeriph[slot]!, this.lAddr[slot]!, this.fifo, this.lPos[slot]!, this.lLen[slot]!);
    this.ctl.latency.record(this.sim.now - this.lT[slot]!);
    this.lDone[slot] = 1;
    this.bytesLoaded += this.lLen[slot]!;
    while (this.lCount > 0 && this.lDone[this.lHead] === 1) {
      this.readable += this.lLen[this.lHead]!;
      this.lHead = this.ring(this.lHead + 1);
      this.lCount--;
    }
    this.pumpStores();
  }

  /**
   * Whether the instruction the channel is blocked on can proceed now (a completion freed what it waits
   * for). Otherwise interpreting it again would only block again at the same pc with nothing changed: a
   * store blocked on a full store queue stays blocked through every load completion, which would cost an
   * interpreter entry per word of a peripheral transfer.
   */
  private blockCleared(): boolean {
    switch (this.wait) {
      case W_LOAD_SLOT:
        return this.lCount < this.q && this.fifo.length - this.used >= this.srcBytes;
      case W_STORE_SLOT:
        return this.sCount < this.q;
      case W_RMB:
        return this.lCount === 0;
      case W_WMB:
        return this.sCount === 0;
      case W_END:
        return this.lCount === 0 && this.sCount === 0;
      default:
        return false; // W_PERIPH: a request resumes it (periphReady)
    }
  }
}

/**
 * PL330-like DMA controller: channels, peripheral request lines and events (interrupts). Its bus traffic is
 * one interconnect master (the port); accesses to a peripheral's FIFO register go to the peripheral with the
 * APB latency instead.
 */
export class Pl330 {
  readonly name: string;
  readonly channels: Pl330Channel[];
  /** Latency of each completed load/store burst (issue to completion), in ps. */
  readonly latency: Histogram;
  private readonly pending = new Int32Array(PERIPHERALS);
  private readonly endpoints: (PeripheralEndpoint | undefined)[] = new Array(PERIPHERALS).fill(undefined);
  // The attached endpoints in request-line order with their register addresses, and the address span they
  // cover: every burst asks "is this a FIFO register?", and memory addresses fail the span test at once.
  private epLines: number[] = [];
  private epAddr: number[] = [];
  private epLo = 0;
  private epHi = 0;
  private irqHandler: ((event: number) => void) | undefined;
  private faultHandler: ((ch: Pl330Channel) => void) | undefined;
  private readonly raiseTarget: EventTarget;
  private readonly peripheralAccessPs: number;
  private readonly lane: EventLane;
  /** @internal Channels blocked in DMAWFP per request line: a request with no waiter skips the channel scan. */
  readonly periphWaiters = new Int32Array(PERIPHERALS);
  readonly cfg: Pl330Config;

  constructor(
    readonly sim: Simulator,
    readonly port: DmaBusPort,
    cfg: Pl330Config,
  ) {
    if (!(cfg.maxOutstanding >= 1 && cfg.maxOutstanding <= MAX_Q)) {
      throw new DeviceError(`${cfg.name}: maxOutstanding must be 1..${MAX_Q}, got ${cfg.maxOutstanding}`);
    }
    if (!(cfg.channels >= 1 && cfg.channels <= 8)) throw new DeviceError(`${cfg.name}: channels must be 1..8, got ${cfg.channels}`);
    this.cfg = cfg;
    this.name = cfg.name;
    this.peripheralAccessPs = cfg.peripheralAccessPs;
    this.lane = sim.lane();
    this.channels = [];
    for (let i = 0; i < cfg.channels; i++) this.channels.push(new Pl330Channel(this, i, cfg.mfifoBytes, cfg.maxOutstanding));
    this.latency = sim.stats.histogram(`${cfg.name}.burstLatencyPs`);
    // Interrupts are delivered as their own events, so a handler never runs inside a channel's interpreter.
    this.raiseTarget = { onEvent: (ev: number) => this.irqHandler?.(ev) };
  }

  channel(i: number): Pl330Channel {
    const ch = this.channels[i];
    if (!ch) throw new DeviceError(`${this.name}: no channel ${i} (have ${this.channels.length})`);
    return ch;
  }

  /** The driver's interrupt handler: called with the event number of each DMASEV. */
  onInterrupt(handler: (event: number) => void): void {
    this.irqHandler = handler;
  }
  onFault(handler: (ch: Pl330Channel) => void): void {
    this.faultHandler = handler;
  }

  attachPeripheral(p: number, ep: PeripheralEndpoint): void {
    if (!(p >= 0 && p < PERIPHERALS)) throw new DeviceError(`${this.name}: peripheral must be 0..${PERIPHERALS - 1}, got ${p}`);
    this.endpoints[p] = ep;
    this.epLines = [];
    for (let i = 0; i < PERIPHERALS; i++) if (this.endpoints[i] !== undefined) this.epLines.push(i);
    this.epAddr = this.epLines.map((i) => this.endpoints[i]!.fifoAddr);
    this.epLo = Math.min(...this.epAddr);
    this.epHi = Math.max(...this.epAddr) + ENDPOINT_SPAN;
  }

  /** A peripheral raises one request (room for, or data for, one single/burst transfer). */
  request(p: number): void {
    this.pending[p]!++;
    if (this.periphWaiters[p] === 0) return;
    const chs = this.channels;
    for (let i = 0; i < chs.length; i++) {
      const ch = chs[i]!;
      if (ch.isWaitingFor(p)) {
        ch.periphReady(p);
        return;
      }
    }
  }

  pendingRequests(p: number): number {
    return this.pending[p]!;
  }

  /** @internal */ takeRequest(p: number): boolean {
    if (this.pending[p]! > 0) {
      this.pending[p]!--;
      return true;
    }
    return false;
  }
  /** @internal */ flushPeripheral(p: number): void {
    this.pending[p] = 0;
    this.endpoints[p]?.flush?.();
  }
  /** @internal */ raise(ev: number): void {
    if (ev < EVENTS) this.sim.post(0, this.raiseTarget, ev);
  }
  /** @internal */ channelStopped(_ch: Pl330Channel): void {}
  /** @internal */ channelFault(ch: Pl330Channel): void {
    this.faultHandler?.(ch);
  }

  /**
   * @internal The request line of the peripheral whose FIFO register answers at `addr`, or -1 for memory.
   * A channel asks once per burst and keeps the answer for the burst's issue and completion.
   */
  endpointLine(addr: number): number {
    if (!(addr >= this.epLo && addr < this.epHi)) return -1;
    const at = this.epAddr;
    for (let i = 0; i < at.length; i++) {
      const a = at[i]!;
      if (addr >= a && addr < a + ENDPOINT_SPAN) return this.epLines[i]!;
    }
    return -1;
  }

  /** @internal `periph` is endpointLine(addr): a FIFO register access takes the APB latency, memory goes to the bus. */
  busTransfer(ch: Pl330Channel, periph: number, addr: number, len: number, isWrite: boolean, tag: number): void {
    // A peripheral access completes after a fixed latency: an event on the simulator's lane, as post would be.
    if (periph >= 0) this.lane.schedule(ch, this.sim.now + this.peripheralAccessPs, tag);
    else this.port.transfer(addr, len, isWrite, ch, tag);
  }

  /** @internal Moves `len` bytes from the FIFO ring at `pos` to `addr` (`periph` = endpointLine(addr)). */
  moveOut(periph: number, addr: number, fifo: Uint8Array, pos: number, len: number): void {
    const ep = periph >= 0 ? this.endpoints[periph] : undefined;
    const first = Math.min(len, fifo.length - pos);
    if (ep) {
      ep.push(fifo, pos, first);
      if (first < len) ep.push(fifo, 0, len - first);
    } else {
      this.port.write(addr, fifo, pos, first);
      if (first < len) this.port.write(addr + first, fifo, 0, len - first);
    }
  }

  /** @internal Moves `len` bytes from `addr` into the FIFO ring at `pos` (`periph` = endpointLine(addr)). */
  moveIn(periph: number, addr: number, fifo: Uint8Array, pos: number, len: number): void {
    const ep = periph >= 0 ? this.endpoints[periph] : undefined;
    const first = Math.min(len, fifo.length - pos);
    if (ep) {
      ep.pop(fifo, pos, first);
      if (first < len) ep.pop(fifo, 0, len - first);
    } else {
      this.port.read(addr, fifo, pos, first);
      if (first < len) this.port.read(addr + first, fifo, 0, len - first);
    }
  }
}
