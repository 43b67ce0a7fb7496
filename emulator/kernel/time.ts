/**
 * Simulated time: an integer number of picoseconds in a plain JS number.
 * Exact up to 2^53 ps (about 2.5 simulated hours); beyond that dmasim refuses rather than rounds.
 */
export type Ps = number;

export const PS_PER_NS = 1_000;
export const PS_PER_US = 1_000_000;
export const PS_PER_MS = 1_000_000_000;
export const PS_PER_S = 1_000_000_000_000;

/** Largest time that is still exactly representable (2^53 - 1 ps). */
export const MAX_TIME_PS = 2 ** 53 - 1;

/** Thrown when a time would exceed 2^53 ps, where JS numbers stop being exact integers. */
export class TimeOverflowError extends RangeError {
  readonly time: number;
  constructor(time: number, where?: string) {
    const shown = Number.isFinite(time) ? time.toExponential(1).replace('e+', 'e') : String(time);
    super(`${where ? `${where}: ` : ''}time ${shown} ps exceeds the 2^53 ps (~2.5 h) limit`);
    this.name = 'TimeOverflowError';
    this.time = time;
  }
}

/** Thrown for a time that is negative, NaN or not an integer number of ps. */
export class InvalidTimeError extends RangeError {
  constructor(time: number, where?: string) {
    super(`${where ? `${where}: ` : ''}expected a non-negative integer number of ps, got ${time}`);
    this.name = 'InvalidTimeError';
  }
}

/** Returns `t` if it is a valid time (integer, 0 <= t <= 2^53 - 1), else throws. */
export function checkTime(t: number, where?: string): Ps {
  if (t > MAX_TIME_PS) throw new TimeOverflowError(t, where);
  if (!(t >= 0) || !Number.isInteger(t)) throw new InvalidTimeError(t, where);
  return t;
}

function toPs(x: number, scale: number, unit: string): Ps {
  if (!Number.isFinite(x)) throw new InvalidTimeError(x, unit);
  return checkTime(Math.round(x * scale), unit);
}

/** Nanoseconds to ps, rounded to the nearest integer ps. */
export function ns(x: number): Ps {
  return toPs(x, PS_PER_NS, 'ns()');
}
/** Microseconds to ps, rounded to the nearest integer ps. */
export function us(x: number): Ps {
  return toPs(x, PS_PER_US, 'us()');
}
/** Milliseconds to ps, rounded to the nearest integer ps. */
export function ms(x: number): Ps {
  return toPs(x, PS_PER_MS, 'ms()');
}
/** Seconds to ps, rounded to the nearest integer ps. */
export function seconds(x: number): Ps {
  return toPs(x, PS_PER_S, 'seconds()');
}
