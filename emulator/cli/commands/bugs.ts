// `dmasim bugs [--list] [name] [--seeds N] [--json]`: the catalog of reproduced real coherency bugs, each
// run buggy and fixed; with --seeds, in how many of N seeds each bug reproduces.
import { runBugs, formatBugs, formatBugList, UnknownBugError } from '../../../traces/bugs/index.ts';
import { printJson, printText } from '../output.ts';
import { intOption } from '../options.ts';
import { UsageError } from '../errors.ts';

export async function bugsCommand(args: string[], opts: Record<string, unknown>): Promise<number> {
  if (opts['list'] === true) {
    printText(formatBugList());
    return 0;
  }
  const seeds = intOption('--seeds', opts['seeds'], 1, 10_000);
  let result;
  try {
    result = runBugs({ ...(args[0] !== undefined ? { name: args[0] } : {}), ...(seeds !== undefined ? { seeds } : {}) });
  } catch (err) {
    if (err instanceof UnknownBugError) throw new UsageError(err.message);
    throw err;
  }
  if (opts['json']) printJson(result);
  else printText(formatBugs(result));
  // The catalog is a self-check too: a bug that no longer reproduces, or a fix that is not clean, fails.
  return result.bugs.every((b) => b.reproduced && b.fixedViolations === 0) ? 0 : 1;
}
