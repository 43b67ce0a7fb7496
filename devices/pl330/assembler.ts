import { DeviceError } from '../common/bus-port.ts';
import {
  Cond,
  MAX_LOOP_BODY_BYTES,
  MAX_LOOP_ITERATIONS,
  OP_BYTES,
  Op,
  PERIPHERALS,
  EVENTS,
  Reg,
  encodeCcr,
} from './isa.ts';
import type { ChannelControl, CondCode, OpCode, RegName } from './isa.ts';

interface OpenLoop {
  lc: number;
  bodyWord: number;
  bodyByte: number;
}

/**
 * Builds a channel program. Loops nest at most two deep (loop counters 0 and 1), run 1..256 times, and
 * their bodies are limited to 255 bytes of microcode, as on the real controller.
 */
export class Pl330Assembler {
  private words: number[] = [];
  private bytes = 0;
  private loops: OpenLoop[] = [];

  /** Microcode size in bytes on the real controller. */
  get size(): number {
    return this.bytes;
  }

  private emit(op: OpCode, a = 0, b = 0): this {
    this.words.push((op | (a << 8) | (b << 16)) >>> 0);
    this.bytes += OP_BYTES[op];
    return this;
  }

  mov(reg: RegName, value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new DeviceError(`pl330 DMAMOV ${reg}: expected a 32-bit unsigned value, got ${value}`);
    }
    this.emit(Op.MOV, Reg[reg]);
    this.words.push(value >>> 0);
    return this;
  }
  ccr(c: ChannelControl): this {
    return this.mov('CCR', encodeCcr(c));
  }
  ld(cond: CondCode = Cond.ALWAYS): this {
    return this.emit(Op.LD, cond);
  }
  st(cond: CondCode = Cond.ALWAYS): this {
    return this.emit(Op.ST, cond);
  }
  ldp(periph: number, cond: CondCode = Cond.SINGLE): this {
    return this.emit(Op.LDP, this.checkCond(cond, 'DMALDP'), this.checkPeriph(periph));
  }
  stp(periph: number, cond: CondCode = Cond.SINGLE): this {
    return this.emit(Op.STP, this.checkCond(cond, 'DMASTP'), this.checkPeriph(periph));
  }
  wfp(periph: number, kind: CondCode = Cond.SINGLE): this {
    return this.emit(Op.WFP, this.checkCond(kind, 'DMAWFP'), this.checkPeriph(periph));
  }
  flushp(periph: number): this {
    return this.emit(Op.FLUSHP, 0, this.checkPeriph(periph));
  }
  sev(event: number): this {
    if (!Number.isInteger(event) || event < 0 || event >= EVENTS) {
      throw new DeviceError(`pl330 DMASEV: event must be 0..${EVENTS - 1}, got ${event}`);
    }
    return this.emit(Op.SEV, 0, event);
  }
  wmb(): this {
    return this.emit(Op.WMB);
  }
  rmb(): this {
    return this.emit(Op.RMB);
  }
  nop(): this {
    return this.emit(Op.NOP);
  }
  end(): this {
    if (this.loops.length > 0) throw new DeviceError('pl330 DMAEND: a DMALP loop is still open');
    return this.emit(Op.END);
  }

  /** DMALP: opens a loop of `iterations` (1..256) on the next free loop counter. */
  lp(iterations: number): this {
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_LOOP_ITERATIONS) {
      throw new DeviceError(`pl330 DMALP: iterations must be 1..${MAX_LOOP_ITERATIONS}, got ${iterations}`);
    }
    if (this.loops.length >= 2) throw new DeviceError('pl330 DMALP: loops nest at most two deep');
    const lc = this.loops.length === 0 ? 0 : 1 - this.loops[0]!.lc;
    this.emit(Op.LP, lc, iterations - 1);
    this.loops.push({ lc, bodyWord: this.words.length, bodyByte: this.bytes });
    return this;
  }

  /** DMALPEND: closes the innermost loop. */
  lpend(): this {
    const loop = this.loops.pop();
    if (!loop) throw new DeviceError('pl330 DMALPEND: no open DMALP');
    const body = this.bytes - loop.bodyByte;
    if (body > MAX_LOOP_BODY_BYTES) {
      throw new DeviceError(`pl330 DMALPEND: loop body is ${body} bytes, the limit is ${MAX_LOOP_BODY_BYTES}`);
    }
    return this.emit(Op.LPEND, loop.lc, loop.bodyWord);
  }

  /** DMALPFE: jumps back to the start of the program body at `bodyWord` forever (cyclic programs). */
  lpfe(bodyWord: number): this {
    return this.emit(Op.LPFE, 0, bodyWord);
  }

  /** Word index the next instruction will have (for lpfe). */
  get here(): number {
    return this.words.length;
  }

  build(): Uint32Array {
    if (this.loops.length > 0) throw new DeviceError('pl330 program: a DMALP loop is still open');
    return Uint32Array.from(this.words);
  }

  private checkPeriph(p: number): number {
    if (!Number.isInteger(p) || p < 0 || p >= PERIPHERALS) {
      throw new DeviceError(`pl330: peripheral must be 0..${PERIPHERALS - 1}, got ${p}`);
    }
    return p;
  }
  private checkCond(c: CondCode, where: string): number {
    if (c !== Cond.SINGLE && c !== Cond.BURST) {
      throw new DeviceError(`pl330 ${where}: expected SINGLE or BURST request kind, got ${c}`);
    }
    return c;
  }
}
