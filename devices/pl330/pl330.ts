import type { EventTarget, Histogram, Simulator } from '../../emulator/kernel/index.ts';
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
  ccr = 0;
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
  private lHead = 0;
  private lCount = 0;
  private readonly sPos = new Int32Array(MAX_Q);
  private readonly sLen = new Int32Array(MAX_Q);
  private readonly sAddr = new Float64Array(MAX_Q);
  private readonly sT = new Float64Array(MAX_Q);
  private readonly sDone = new Uint8Array(MAX_Q);
  private sHead = 0;
  private sCount = 0;
  private sIssued = 0; // queued stores (from the head) already issued to the bus

  constructor(
    private readonly ctl: Pl330,
    id: number,
    mfifoBytes: number,
    private readonly q: number,
  ) {
    this.id = id;
    this.fifo = new Uint8Array(mfifoBytes);
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
    this.state = 'executing';
    this.wait = W_NONE;
    this.run();
  }

  /** DMAKILL: stops at once; transfers in flight complete on the bus but are ignored. */
  kill(): void {
    this.epoch = (this.epoch + 1) & 0xffff;
    this.state = 'stopped';
    this.wait = W_NONE;
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
    this.wait = W_NONE;
    this.ctl.channelFault(this);
  }

  /** Resumes a channel blocked on a peripheral request. */
  periphReady(p: number): void {
    if (this.state === 'waiting' && this.wait === W_PERIPH && this.waitPeriph === p) this.run();
  }

  isWaitingFor(p: number): boolean {
    return this.state === 'waiting' && this.wait === W_PERIPH && this.waitPeriph === p;
  }

  /** Executes until the program blocks or ends. */
  run(): void {
    const prog = this.program;
    const ctl = this.ctl;
    this.state = 'executing';
    this.wait = W_NONE;
    for (;;) {
      const w = prog[this.pc];
      if (w === undefined) return this.fault(`pc ${this.pc} ran past the end of the program (no DMAEND)`);
      const op = w & 0xff;
      const a = (w >>> 8) & 0xff;
      const b = w >>> 16;
      switch (op) {
        case Op.MOV: {
          const v = prog[this.pc + 1];
          if (v === undefined) return this.fault('DMAMOV without its immediate');
          if (a === 0) this.sar = v;
          else if (a === 1) this.ccr = v;
          else this.dar = v;
          this.pc += 2;
          break;
        }
        case Op.LD:
        case Op.LDP: {
          if (a !== Cond.ALWAYS && a !== this.reqKind) {
            this.pc++;
            break;
          }
          const bytes = srcBurstBytes(this.ccr);
          if (bytes > this.fifo.length) return this.fault(`DMALD of ${bytes} bytes exceeds the ${this.fifo.length}-byte MFIFO`);
          if (this.lCount === this.q || this.fifo.length - this.used < bytes) return this.block(W_LOAD_SLOT);
          this.issueLoad(bytes);
          this.pc++;
          break;
        }
        case Op.ST:
        case Op.STP: {
          if (a !== Cond.ALWAYS && a !== this.reqKind) {
            this.pc++;
            break;
          }
          const bytes = dstBurstBytes(this.ccr);
          // A store is queued at once and goes to the bus when its bytes have arrived in the MFIFO; only
          // a store that no issued load can ever satisfy is an error.
          if (this.claimable < bytes) return this.fault(`DMAST of ${bytes} bytes with only ${this.claimable} bytes loaded into the MFIFO`);
          if (this.sCount === this.q) return this.block(W_STORE_SLOT);
          this.queueStore(bytes);
          this.pc++;
          break;
        }
        case Op.LP:
          this.lc[a & 1] = b;
          this.pc++;
          break;
        case Op.LPEND: {
          const i = a & 1;
          if (this.lc[i]! > 0) {
            this.lc[i]!--;
            this.pc = b;
          } else this.pc++;
          break;
        }
        case Op.LPFE:
          this.pc = b;
          break;
        case Op.WFP:
          if (!ctl.takeRequest(b)) {
            this.waitPeriph = b;
            return this.block(W_PERIPH);
          }
          this.reqKind = a === Cond.BURST ? Cond.BURST : Cond.SINGLE;
          this.pc++;
          break;
        case Op.FLUSHP:
          ctl.flushPeripheral(b);
          this.pc++;
          break;
        case Op.SEV:
          ctl.raise(b);
          this.pc++;
          break;
        case Op.RMB:
          if (this.lCount > 0) return this.block(W_RMB);
          this.pc++;
          break;
        case Op.WMB:
          if (this.sCount > 0) return this.block(W_WMB);
          this.pc++;
          break;
        case Op.NOP:
          this.pc++;
          break;
        case Op.END: {
          if (this.lCount > 0 || this.sCount > 0) return this.block(W_END);
          this.state = 'stopped';
          const done = this.onDone;
          this.onDone = undefined;
          ctl.channelStopped(this);
          if (done) done();
          return;
        }
        default:
          return this.fault(`undefined instruction 0x${w.toString(16)} at pc ${this.pc}`);
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

  private block(reason: number): void {
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
    this.lT[slot] = this.ctl.sim.now;
    this.wp = this.fifoPos(this.wp + bytes);
    this.used += bytes;
    this.claimable += bytes;
    const addr = this.sar;
    if (this.ccr & 1) this.sar = (this.sar + bytes) >>> 0;
    this.ctl.busTransfer(this, addr, bytes, false, (this.epoch << 6) | slot);
  }

  private queueStore(bytes: number): void {
    const slot = this.ring(this.sHead + this.sCount);
    this.sCount++;
    this.sPos[slot] = this.rp;
    this.sLen[slot] = bytes;
    this.sAddr[slot] = this.dar;
    this.sDone[slot] = 0;
    this.rp = this.fifoPos(this.rp + bytes);
    this.claimable -= bytes;
    if ((this.ccr >>> 14) & 1) this.dar = (this.dar + bytes) >>> 0;
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
      this.sT[slot] = this.ctl.sim.now;
      this.ctl.busTransfer(this, this.sAddr[slot]!, len, true, (this.epoch << 6) | KIND_STORE | slot);
    }
  }

  onEvent(tag: number): void {
    this.onTransferDone(tag);
  }

  onTransferDone(tag: number): void {
    if (tag >>> 6 !== this.epoch || this.state === 'stopped' || this.state === 'fault') return;
    const slot = tag & 31;
    const ctl = this.ctl;
    if (tag & KIND_STORE) {
      // The bytes leave the MFIFO for memory (or the peripheral) now that the bus completed the write.
      ctl.moveOut(this.sAddr[slot]!, this.fifo, this.sPos[slot]!, this.sLen[slot]!);
      ctl.latency.record(ctl.sim.now - this.sT[slot]!);
      this.sDone[slot] = 1;
      this.bytesStored += this.sLen[slot]!;
      while (this.sCount > 0 && this.sDone[this.sHead] === 1) {
        this.used -= this.sLen[this.sHead]!;
        this.sHead = this.ring(this.sHead + 1);
        this.sCount--;
        this.sIssued--;
      }
    } else {
      ctl.moveIn(this.lAddr[slot]!, this.fifo, this.lPos[slot]!, this.lLen[slot]!);
      ctl.latency.record(ctl.sim.now - this.lT[slot]!);
      this.lDone[slot] = 1;
      this.bytesLoaded += this.lLen[slot]!;
      while (this.lCount > 0 && this.lDone[this.lHead] === 1) {
        this.readable += this.lLen[this.lHead]!;
        this.lHead = this.ring(this.lHead + 1);
        this.lCount--;
      }
      this.pumpStores();
    }
    if (this.state === 'waiting' && this.wait !== W_PERIPH) this.run();
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
  private epList: PeripheralEndpoint[] = [];
  private epAddr: number[] = [];
  private epLo = 0;
  private epHi = 0;
  private irqHandler: ((event: number) => void) | undefined;
  private faultHandler: ((ch: Pl330Channel) => void) | undefined;
  private readonly raiseTarget: EventTarget;
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
    this.epList = this.endpoints.filter((e): e is PeripheralEndpoint => e !== undefined);
    this.epAddr = this.epList.map((e) => e.fifoAddr);
    this.epLo = Math.min(...this.epAddr);
    this.epHi = Math.max(...this.epAddr) + ENDPOINT_SPAN;
  }

  /** A peripheral raises one request (room for, or data for, one single/burst transfer). */
  request(p: number): void {
    this.pending[p]!++;
    for (const ch of this.channels) {
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

  private endpointAt(addr: number): PeripheralEndpoint | undefined {
    if (!(addr >= this.epLo && addr < this.epHi)) return undefined;
    const at = this.epAddr;
    for (let i = 0; i < at.length; i++) {
      const a = at[i]!;
      if (addr >= a && addr < a + ENDPOINT_SPAN) return this.epList[i];
    }
    return undefined;
  }

  /** @internal */ busTransfer(ch: Pl330Channel, addr: number, len: number, isWrite: boolean, tag: number): void {
    if (this.endpointAt(addr)) this.sim.post(this.cfg.peripheralAccessPs, ch, tag);
    else this.port.transfer(addr, len, isWrite, ch, tag);
  }

  /** @internal Moves `len` bytes from the FIFO ring at `pos` to `addr`. */
  moveOut(addr: number, fifo: Uint8Array, pos: number, len: number): void {
    const ep = this.endpointAt(addr);
    const first = Math.min(len, fifo.length - pos);
    if (ep) {
      ep.push(fifo, pos, first);
      if (first < len) ep.push(fifo, 0, len - first);
    } else {
      this.port.write(addr, fifo, pos, first);
      if (first < len) this.port.write(addr + first, fifo, 0, len - first);
    }
  }

  /** @internal Moves `len` bytes from `addr` into the FIFO ring at `pos`. */
  moveIn(addr: number, fifo: Uint8Array, pos: number, len: number): void {
    const ep = this.endpointAt(addr);
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
