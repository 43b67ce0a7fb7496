// The PL330-like instruction set, held as a compact Uint32Array program: one word per instruction (plus an
// immediate word for DMAMOV). Field layout of the instruction word: bits 0-7 opcode, 8-15 field A,
// 16-31 field B. The real controller's byte sizes are tracked too (`bytes`), so the assembler can refuse
// loop bodies over 255 bytes of microcode as the hardware's backward-jump field does.

export const Op = {
  END: 0,
  MOV: 1, // A = register (Reg), next word = 32-bit immediate
  LD: 2, // A = condition (Cond)
  ST: 3, // A = condition
  LDP: 4, // A = condition (single/burst), B = peripheral
  STP: 5, // A = condition (single/burst), B = peripheral
  LP: 6, // A = loop counter (0/1), B = iterations - 1 (0..255)
  LPEND: 7, // A = loop counter, B = word index of the loop body's first instruction
  LPFE: 8, // B = word index of the body: loop forever
  WFP: 9, // A = request kind (Cond), B = peripheral
  FLUSHP: 10, // B = peripheral
  SEV: 11, // B = event / interrupt number
  WMB: 12,
  RMB: 13,
  NOP: 14,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export const Reg = { SAR: 0, CCR: 1, DAR: 2 } as const;
export type RegName = keyof typeof Reg;

/** Condition of LD/ST (and kind of WFP): ALWAYS runs unconditionally, SINGLE/BURST only after a matching request. */
export const Cond = { ALWAYS: 0, SINGLE: 1, BURST: 2 } as const;
export type CondCode = (typeof Cond)[keyof typeof Cond];

/** Microcode bytes of each instruction on the real controller (for the 255-byte loop-body limit). */
export const OP_BYTES: Readonly<Record<OpCode, number>> = {
  [Op.END]: 1,
  [Op.MOV]: 6,
  [Op.LD]: 1,
  [Op.ST]: 1,
  [Op.LDP]: 2,
  [Op.STP]: 2,
  [Op.LP]: 2,
  [Op.LPEND]: 2,
  [Op.LPFE]: 2,
  [Op.WFP]: 2,
  [Op.FLUSHP]: 2,
  [Op.SEV]: 2,
  [Op.WMB]: 1,
  [Op.RMB]: 1,
  [Op.NOP]: 1,
};

export const MAX_BURST_BEATS = 16;
export const MAX_LOOP_ITERATIONS = 256;
export const MAX_LOOP_BODY_BYTES = 255;
export const PERIPHERALS = 32;
export const EVENTS = 32;

/** Channel control register fields, in the real CCR bit layout (source half low, destination half high). */
export interface ChannelControl {
  srcInc: boolean;
  /** Bytes per beat: 1, 2, 4 or 8. */
  srcBeatBytes: number;
  /** Beats per burst: 1..16. */
  srcBurstLen: number;
  dstInc: boolean;
  dstBeatBytes: number;
  dstBurstLen: number;
}

function log2Beat(b: number, where: string): number {
  switch (b) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 4:
      return 2;
    case 8:
      return 3;
    default:
      throw new RangeError(`${where}: beat size must be 1, 2, 4 or 8 bytes, got ${b}`);
  }
}

function checkBurst(n: number, where: string): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_BURST_BEATS) {
    throw new RangeError(`${where}: burst length must be 1..${MAX_BURST_BEATS} beats, got ${n}`);
  }
  return n - 1;
}

export function encodeCcr(c: ChannelControl): number {
  const ss = log2Beat(c.srcBeatBytes, 'CCR source');
  const ds = log2Beat(c.dstBeatBytes, 'CCR destination');
  const sb = checkBurst(c.srcBurstLen, 'CCR source');
  const db = checkBurst(c.dstBurstLen, 'CCR destination');
  return (
    ((c.srcInc ? 1 : 0) | (ss << 1) | (sb << 4) | ((c.dstInc ? 1 : 0) << 14) | (ds << 15) | (db << 18)) >>> 0
  );
}

export function decodeCcr(ccr: number): ChannelControl {
  return {
    srcInc: (ccr & 1) !== 0,
    srcBeatBytes: 1 << ((ccr >>> 1) & 7),
    srcBurstLen: ((ccr >>> 4) & 15) + 1,
    dstInc: ((ccr >>> 14) & 1) !== 0,
    dstBeatBytes: 1 << ((ccr >>> 15) & 7),
    dstBurstLen: ((ccr >>> 18) & 15) + 1,
  };
}

/** Bytes one DMALD moves under this CCR. */
export function srcBurstBytes(ccr: number): number {
  return (1 << ((ccr >>> 1) & 7)) * (((ccr >>> 4) & 15) + 1);
}
/** Bytes one DMAST moves under this CCR. */
export function dstBurstBytes(ccr: number): number {
  return (1 << ((ccr >>> 15) & 7)) * (((ccr >>> 18) & 15) + 1);
}
