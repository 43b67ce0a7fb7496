// `dmasim minimize <trace> [-o F] [--kind K]`: shrinks a trace that shows a violation to a minimal trace that
// still shows the same kind (delta debugging over operations, then sizes), for bug reports.
import { writeFileSync } from 'node:fs';
import { readTrace } from '../../../traces/reader.ts';
import { toJsonl } from '../../../traces/jsonl.ts';
import { minimizeTrace, MinimizeError } from '../../../traces/minimize.ts';
import { printError, printText } from '../output.ts';
import { pathOption, choiceOption } from '../options.ts';
import { UsageError } from '../errors.ts';
import { API_VIOLATION_KINDS, COHERENCY_VIOLATION_KINDS } from '../../../dma/violation.ts';

export async function minimizeCommand(args: string[], opts: Record<string, unknown>): Promise<number> {
  const path = args[0]!;
  const out = pathOption('-o', opts['out'] ?? opts['o']);
  const kind = choiceOption('--kind', opts['kind'], [...API_VIOLATION_KINDS, ...COHERENCY_VIOLATION_KINDS]);
  const trace = await readTrace(path);
  let r;
  try {
    r = minimizeTrace(trace.header, trace.ops, kind !== undefined ? { kind } : {});
  } catch (err) {
    if (err instanceof MinimizeError) throw new UsageError(`${path}: ${err.message}`);
    throw err;
  }
  const text = toJsonl(trace.header, r.ops);
  if (out !== undefined) writeFileSync(out, text);
  else printText(text);
  printError(`dmasim: minimized ${path}: ${r.before} → ${r.after} operations, still showing ${r.kind} (${r.steps} replays)`);
  return 0;
}
