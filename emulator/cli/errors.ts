// Errors the command line turns into a one-line message and an exit code, never a stack trace.

/** Bad input: a flag, a scenario name, a trace line. Exit code 2 (the DESIGN's contract). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const ExitCode = {
  ok: 0,
  violations: 1,
  badInput: 2,
  internal: 3,
} as const;
