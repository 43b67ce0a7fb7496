// Strict parsing of option values: a typo in a number is bad input, never a silent NaN or default.
import { UsageError } from './errors.ts';

/** An integer option in [min, max]; undefined stays undefined so the command's default applies. */
export function intOption(flag: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${flag}: expected an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: expected an integer from ${min} to ${max}, got ${text}`);
  }
  return n;
}

/** A finite number option in [min, max]. */
export function numberOption(flag: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag}: expected a number from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

/** One of a fixed set of names. */
export function choiceOption<T extends string>(flag: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`${flag}: expected one of ${choices.join(', ')}, got "${text}"`);
  }
  return text as T;
}

/** A string option that must be present when given (cac gives `true` for a bare `--record`). */
export function pathOption(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag}: expected a file path`);
  return value;
}
