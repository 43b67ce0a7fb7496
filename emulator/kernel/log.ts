import { pino } from 'pino';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class LogLevelError extends RangeError {
  constructor(level: string, source: string) {
    super(`${source}: expected a log level (${LEVELS.join(', ')}), got '${level}'`);
    this.name = 'LogLevelError';
  }
}

export interface LoggerOptions {
  /** Explicit level; wins over DMASIM_LOG. */
  level?: LogLevel;
  name?: string;
}

/**
 * Level resolution: explicit option, else 'silent' under vitest (VITEST set), else env DMASIM_LOG,
 * else 'warn'. Logs go to stderr (fd 2) so stdout stays clean for --json output.
 */
export function resolveLogLevel(explicit?: string): LogLevel {
  if (explicit !== undefined) {
    if (!LEVELS.includes(explicit)) throw new LogLevelError(explicit, 'createLogger({level})');
    return explicit as LogLevel;
  }
  if (process.env['VITEST'] !== undefined) return 'silent';
  const env = process.env['DMASIM_LOG'];
  if (env !== undefined && env !== '') {
    if (!LEVELS.includes(env)) throw new LogLevelError(env, 'DMASIM_LOG');
    return env as LogLevel;
  }
  return 'warn';
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = resolveLogLevel(opts.level);
  // Synchronous stderr writes keep log lines ordered with other stderr output and survive a crash.
  return pino({ level, name: opts.name ?? 'dmasim' }, pino.destination({ dest: 2, sync: true }));
}

let root: Logger | undefined;

/** The process-wide root logger, created on first use from DMASIM_LOG. */
export function rootLogger(): Logger {
  return (root ??= createLogger());
}

/** A child of the root logger tagged with a module name. */
export function childLogger(name: string, parent: Logger = rootLogger()): Logger {
  return parent.child({ module: name });
}
