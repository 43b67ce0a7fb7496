import { describe, it, expect } from 'vitest';
import { MAX_TIME_PS, TimeOverflowError, InvalidTimeError, checkTime, ns, us, ms, seconds } from './time.ts';

describe('time', () => {
  it('converts units to integer ps, rounding to the nearest ps', () => {
    expect(ns(1)).toBe(1000);
    expect(ns(0.8333)).toBe(833);
    expect(us(2)).toBe(2_000_000);
    expect(ms(1.5)).toBe(1_500_000_000);
    expect(seconds(1)).toBe(1e12);
  });

  it('enforces the 2^53 ps limit with a message naming time and limit', () => {
    expect(checkTime(MAX_TIME_PS)).toBe(MAX_TIME_PS);
    expect(() => checkTime(2 ** 53)).toThrow(TimeOverflowError);
    expect(() => ns(9.1e12)).toThrow('time 9.1e15 ps exceeds the 2^53 ps (~2.5 h) limit');
    expect(() => seconds(3 * 3600)).toThrow(TimeOverflowError);
    expect(seconds(2 * 3600)).toBe(7.2e15);
  });

  it('rejects negative, fractional and NaN times', () => {
    expect(() => checkTime(-1)).toThrow(InvalidTimeError);
    expect(() => checkTime(1.5)).toThrow(InvalidTimeError);
    expect(() => checkTime(NaN)).toThrow(InvalidTimeError);
    expect(() => ns(-2)).toThrow(InvalidTimeError);
  });
});
