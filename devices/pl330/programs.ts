import { DeviceError } from '../common/bus-port.ts';
import { Pl330Assembler } from './assembler.ts';
import { Cond, MAX_BURST_BEATS, MAX_LOOP_ITERATIONS } from './isa.ts';

// Program generators for the three transfer kinds the dmaengine driver offers, shaped like the Linux
// pl330 driver's microcode: full bursts in (nested) loops, the tail in single beats, an event at the end.

/** Emits `body` n times with at most two nested loops (n may exceed 256*256: blocks are repeated). */
export function emitRepeated(asm: Pl330Assembler, n: number, body: (a: Pl330Assembler) => void): void {
  const block = MAX_LOOP_ITERATIONS * MAX_LOOP_ITERATIONS;
  let left = n;
  while (left > 0) {
    if (left >= MAX_LOOP_ITERATIONS * 2) {
      const outer = Math.min(MAX_LOOP_ITERATIONS, Math.floor(Math.min(left, block) / MAX_LOOP_ITERATIONS));
      asm.lp(outer).lp(MAX_LOOP_ITERATIONS);
      body(asm);
      asm.lpend().lpend();
      left -= outer * MAX_LOOP_ITERATIONS;
    } else {
      const k = Math.min(left, MAX_LOOP_ITERATIONS);
      if (k === 1) body(asm);
      else {
        asm.lp(k);
        body(asm);
        asm.lpend();
      }
      left -= k;
    }
  }
}

export interface MemcpyProgramOptions {
  src: number;
  dst: number;
  len: number;
  /** Bus width in bytes (beat size of the main bursts). */
  beatBytes: number;
  /** Beats per burst for the main part (the driver's burst length; MDMA 8, PDMA 4). */
  burstLen: number;
  /** Event raised at the end (the descriptor's interrupt), or -1 for none. */
  event: number;
}

/** memcpy: full bursts of beatBytes × burstLen, then the tail byte by byte in bursts of up to 16 beats. */
export function memcpyProgram(o: MemcpyProgramOptions): Uint32Array {
  if (!(o.len > 0) || !Number.isInteger(o.len)) throw new DeviceError(`pl330 memcpy: length must be a positive integer, got ${o.len}`);
  const burst = o.beatBytes * o.burstLen;
  const asm = new Pl330Assembler();
  asm.mov('SAR', o.src).mov('DAR', o.dst);
  const full = Math.floor(o.len / burst);
  if (full > 0) {
    asm.ccr({ srcInc: true, srcBeatBytes: o.beatBytes, srcBurstLen: o.burstLen, dstInc: true, dstBeatBytes: o.beatBytes, dstBurstLen: o.burstLen });
    emitRepeated(asm, full, (a) => a.ld().st());
  }
  let tail = o.len - full * burst;
  if (tail >= MAX_BURST_BEATS) {
    const n = Math.floor(tail / MAX_BURST_BEATS);
    asm.ccr({ srcInc: true, srcBeatBytes: 1, srcBurstLen: MAX_BURST_BEATS, dstInc: true, dstBeatBytes: 1, dstBurstLen: MAX_BURST_BEATS });
    emitRepeated(asm, n, (a) => a.ld().st());
    tail -= n * MAX_BURST_BEATS;
  }
  if (tail > 0) {
    asm.ccr({ srcInc: true, srcBeatBytes: 1, srcBurstLen: tail, dstInc: true, dstBeatBytes: 1, dstBurstLen: tail });
    asm.ld().st();
  }
  asm.wmb();
  if (o.event >= 0) asm.sev(o.event);
  return asm.end().build();
}

export interface PeripheralProgramOptions {
  /** Memory address (source for MEM_TO_DEV, destination for DEV_TO_MEM). */
  mem: number;
  /** The peripheral's FIFO register address. */
  fifo: number;
  len: number;
  periph: number;
  /** Beat size on the peripheral side (the FIFO word, e.g. 4 for stereo S16). */
  beatBytes: number;
  /** Beats per request (the peripheral's maxburst; 1 = single requests). */
  burstLen: number;
  toDevice: boolean;
  event: number;
}

/**
 * Peripheral transfer: flush the request state, then per request: wait for the peripheral, load, store.
 * Single requests (burstLen 1) use DMAWFP single / DMALDP-DMASTP single, as for Samsung I2S.
 */
export function peripheralProgram(o: PeripheralProgramOptions): Uint32Array {
  const unit = o.beatBytes * o.burstLen;
  if (!(o.len > 0) || o.len % unit !== 0) {
    throw new DeviceError(`pl330 peripheral transfer: length ${o.len} must be a positive multiple of ${unit} bytes (beat × burst)`);
  }
  const kind = o.burstLen === 1 ? Cond.SINGLE : Cond.BURST;
  const asm = new Pl330Assembler();
  asm.flushp(o.periph);
  asm.mov('SAR', o.toDevice ? o.mem : o.fifo).mov('DAR', o.toDevice ? o.fifo : o.mem);
  asm.ccr({
    srcInc: o.toDevice,
    srcBeatBytes: o.beatBytes,
    srcBurstLen: o.burstLen,
    dstInc: !o.toDevice,
    dstBeatBytes: o.beatBytes,
    dstBurstLen: o.burstLen,
  });
  emitRepeated(asm, o.len / unit, (a) => {
    a.wfp(o.periph, kind);
    if (o.toDevice) a.ld().stp(o.periph, kind);
    else a.ldp(o.periph, kind).st();
  });
  asm.wmb();
  if (o.event >= 0) asm.sev(o.event);
  return asm.end().build();
}
