// `dmasim run [scenario]`: a built-in scenario (default camera-audio), a human summary or --json.
import { runScenario, scenarioNames } from '../../../devices/scenarios/index.ts';
import { formatSummary } from '../../../devices/scenarios/summary.ts';
import { printJson, printText } from '../output.ts';
import { numberOption, choiceOption, pathOption } from '../options.ts';
import { createScenarioTrace } from '../../../traces/perfetto-export.ts';
import { jitOption, seedOption, socOption, strategyOption, violationExit } from '../common.ts';
import { applyJit, resolveJit } from '../../host/index.ts';
import { createProgress } from '../progress.ts';

/** 2^53 ps is about 9007 simulated seconds: the time limit of the kernel. */
const MAX_SECONDS = 9000;

export async function runCommand(args: string[], opts: Record<string, unknown>): Promise<number> {
  const scenario = choiceOption('scenario', args[0] ?? 'camera-audio', scenarioNames())!;
  const seconds = numberOption('--seconds', opts['seconds'], 0.001, MAX_SECONDS) ?? 2;
  const strategy = strategyOption(opts['strategy']);
  const soc = socOption(opts['soc']);
  const seed = seedOption(opts['seed']);
  const record = pathOption('--record', opts['record']);
  const perfetto = pathOption('--perfetto', opts['perfetto']);
  const trace =
    record !== undefined || perfetto !== undefined
      ? createScenarioTrace({ ...(record !== undefined ? { record } : {}), ...(perfetto !== undefined ? { perfetto } : {}) })
      : null;
  // Before the simulation's code gets hot: V8 reads the inlining flags when it optimizes.
  applyJit(resolveJit(jitOption(opts['jit']) ?? 'auto', seconds));
  const progress = createProgress(scenario, opts['progress'] !== false && opts['json'] !== true);
  let result;
  try {
    result = runScenario(scenario, {
      seconds,
      ...(strategy !== undefined ? { strategy } : {}),
      ...(soc !== undefined ? { soc } : {}),
      ...(seed !== undefined ? { seed } : {}),
      onProgress: (done, total) => progress.update(done, total),
      ...(trace !== null ? { observer: trace.observer } : {}),
    });
  } finally {
    progress.stop();
    // Closing in finally leaves both files well-formed even if the run throws: nothing recorded is lost.
    await trace?.close();
  }
  if (opts['json']) printJson(result);
  else printText(formatSummary(result));
  return violationExit(result.violations.length, opts['strict']);
}
