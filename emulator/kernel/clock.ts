import { MAX_TIME_PS, PS_PER_S, TimeOverflowError, checkTime } from './time.ts';
import type { Ps } from './time.ts';

/** Thrown for a clock frequency or cycle count that is not a positive / non-negative safe integer. */
export class ClockError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClockError';
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Set by floorMulDiv: whether the last division was exact (no remainder).
let lastExact = false;

/**
 * floor(x * mul / div) computed exactly for integers 0 <= x < 2^54, without any intermediate above 2^53:
 * split x = q*div + r, so x*mul/div = q*mul + r*mul/div with r < div. When even r*mul would be inexact
 * (huge, coprime frequencies) fall back to BigInt; that never happens for the usual clock rates.
 */
function floorMulDiv(x: number, mul: number, div: number): number {
  let q = Math.floor(x / div);
  let r = x - q * div;
  // The float division can land one off near integer boundaries; correct it.
  if (r < 0) {
    q -= 1;
    r += div;
  } else if (r >= div) {
    q += 1;
    r -= div;
  }
  const rm = r * mul;
  if (rm > Number.MAX_SAFE_INTEGER) {
    const big = BigInt(x) * BigInt(mul);
    const bd = BigInt(div);
    lastExact = big % bd === 0n;
    return Number(big / bd);
  }
  let f = Math.floor(rm / div);
  if (f * div > rm) f -= 1;
  else if ((f + 1) * div <= rm) f += 1;
  lastExact = f * div === rm;
  return q * mul + f;
}

/**
 * A clock: converts between its cycles and ps exactly. Edge k sits at floor(k * 10^12 / hz) ps, so
 * at 1.2 GHz edges fall at 0, 833, 1666, 2500, ... ps and 3 cycles are exactly 2500 ps.
 */
export class ClockDomain {
  readonly name: string;
  readonly hz: number;
  /** 10^12 / hz reduced to num / den (ps per cycle as an exact fraction). */
  readonly psNum: number;
  readonly psDen: number;

  constructor(name: string, hz: number) {
    if (!Number.isSafeInteger(hz) || hz <= 0 || hz > PS_PER_S) {
      throw new ClockError(`ClockDomain ${name}: expected an integer frequency in 1..10^12 Hz, got ${hz}`);
    }
    this.name = name;
    this.hz = hz;
    const g = gcd(PS_PER_S, hz);
    this.psNum = PS_PER_S / g;
    this.psDen = hz / g;
  }

  /** Nominal period in ps (fractional; for display, not for scheduling). */
  get periodPs(): number {
    return this.psNum / this.psDen;
  }

  /** Time of cycle edge `cycles` counted from 0: floor(cycles * 10^12 / hz). */
  cyclesToPs(cycles: number): Ps {
    if (!Number.isSafeInteger(cycles) || cycles < 0) {
      throw new ClockError(`ClockDomain ${this.name}.cyclesToPs: expected a non-negative integer cycle count, got ${cycles}`);
    }
    if (this.psDen === 1) {
      const t = cycles * this.psNum;
      if (t > MAX_TIME_PS) throw new TimeOverflowError(t, `ClockDomain ${this.name}.cyclesToPs(${cycles})`);
      return t;
    }
    const t = floorMulDiv(cycles, this.psNum, this.psDen);
    if (t > MAX_TIME_PS) throw new TimeOverflowError(t, `ClockDomain ${this.name}.cyclesToPs(${cycles})`);
    return t;
  }

  /**
   * Whole cycles completed by time `ps`: the largest k with cyclesToPs(k) <= ps, so that
   * psToCycles(cyclesToPs(k)) === k for every k (round trip exact).
   */
  psToCycles(ps: Ps): number {
    checkTime(ps, `ClockDomain ${this.name}.psToCycles`);
    // cyclesToPs(k) <= ps  <=>  k*num < (ps+1)*den  <=>  k <= ceil((ps+1)*den/num) - 1
    const f = floorMulDiv(ps + 1, this.psDen, this.psNum);
    return lastExact ? f - 1 : f;
  }

  /** The first clock edge at or after `ps`. */
  nextEdge(ps: Ps): Ps {
    const k = this.psToCycles(ps);
    const edge = this.cyclesToPs(k);
    return edge === ps ? ps : this.cyclesToPs(k + 1);
  }

  toString(): string {
    return `${this.name}@${this.hz}Hz`;
  }
}
