// `--log-level` wins over DMASIM_LOG; both only change what goes to stderr.
import { UsageError } from './errors.ts';

const LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export function configureLogging(level: unknown): void {
  if (level === undefined) return;
  const text = String(level);
  if (!(LEVELS as readonly string[]).includes(text)) {
    throw new UsageError(`--log-level: expected one of ${LEVELS.join(', ')}, got "${text}"`);
  }
  process.env['DMASIM_LOG'] = text;
}
