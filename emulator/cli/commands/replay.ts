// `dmasim replay <trace>`: msgpack, JSONL or Linux ftrace text (detected by content), with --strategy and
// --soc overrides so one trace is compared across strategies.
import { openTrace } from '../../../traces/reader.ts';
import { parseDeviceMap } from '../../../traces/ftrace.ts';
import { Replayer } from '../../../traces/replay.ts';
import { createReplayTimeline } from '../../../traces/perfetto-export.ts';
import type { ReplayResult } from '../../../traces/replay.ts';
import { printError, printJson, printText } from '../output.ts';
import { pathOption } from '../options.ts';
import { seedOption, socOption, strategyOption, violationExit } from '../common.ts';
import { readJson } from './convert.ts';
import { formatViolations, formatNs } from '../format.ts';
import { ExitCode } from '../errors.ts';

export async function replayCommand(args: string[], opts: Record<string, unknown>): Promise<number> {
  const path = args[0]!;
  const strategy = strategyOption(opts['strategy']);
  const soc = socOption(opts['soc']);
  const seed = seedOption(opts['seed']);
  const devicesPath = pathOption('--devices', opts['devices']);
  const devices = devicesPath !== undefined ? parseDeviceMap(readJson(devicesPath), devicesPath) : undefined;
  const perfetto = pathOption('--perfetto', opts['perfetto']);
  const reader = await openTrace(path, devices !== undefined ? { ftrace: { devices } } : {});
  const timeline = perfetto !== undefined ? createReplayTimeline(perfetto) : null;
  const replayer = new Replayer(reader.header, {
    name: path,
    ...(timeline !== null ? { onOp: timeline.onOp } : {}),
    costs: opts['costs'] === true,
    ...(strategy !== undefined ? { strategy } : {}),
    ...(soc !== undefined ? { soc } : {}),
    ...(seed !== undefined ? { seed } : {}),
  });
  timeline?.attach(replayer.machine);
  let index = 0;
  let failure: Error | null = null;
  try {
    for await (const op of reader.ops) replayer.apply(op, index++);
  } catch (err) {
    failure = err as Error;
  } finally {
    await timeline?.close();
  }
  const result = replayer.finish({ format: reader.format, skipped: reader.skipped, truncatedAt: reader.truncatedAt });
  if (failure !== null) {
    // Bad input: report it, and keep what was replayed up to there (nothing already found is lost).
    if (opts['json']) printJson({ ...result, error: firstLine(failure.message), stoppedAt: index });
    throw failure;
  }
  if (opts['json']) printJson(result);
  else printText(formatReplay(result));
  if (result.truncatedAt !== undefined) printError(`dmasim: ${path} is truncated: replayed up to the last complete record (byte ${result.truncatedAt})`);
  return violationExit(result.violations.length, opts['strict']) || ExitCode.ok;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

export function formatReplay(r: ReplayResult): string {
  const lines = [
    `replay ${r.trace} (${r.format}) on ${r.soc}, strategy ${r.strategy}, seed ${r.seed}`,
    `  ${r.ops} operations${r.skipped ? `, ${r.skipped} skipped` : ''}; simulated ${formatNs(r.simulatedNs)} in ${r.hostMs.toFixed(1)} ms of host time`,
  ];
  if (r.costs) {
    lines.push('', '  op  call                        ns        cycles   cleaned  invalid.  bounced');
    for (const c of r.costs) {
      lines.push(
        `  ${String(c.op).padStart(3)} ${c.name.padEnd(24)} ${c.ns.toFixed(1).padStart(10)} ${String(c.cycles).padStart(10)}` +
          (c.bytesCleaned !== undefined ? ` ${String(c.bytesCleaned).padStart(9)} ${String(c.bytesInvalidated).padStart(9)} ${String(c.bytesBounced).padStart(8)}` : ''),
      );
    }
  }
  lines.push('', formatViolations(r.violations));
  if (r.dmesg.length > 0) lines.push('', 'kernel log:', ...r.dmesg.map((l) => `  ${l}`));
  return lines.join('\n');
}
