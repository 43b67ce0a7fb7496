// The `dmasim` command: parses arguments, dispatches to one module per command, and turns errors into
// the DESIGN's exit codes (2 and a one-line message for bad input).
import { cac } from 'cac';
import { UsageError, ExitCode } from './errors.ts';
import { printError } from './output.ts';
import { configureLogging } from './logging.ts';
import { runCommand } from './commands/run.ts';
import { replayCommand } from './commands/replay.ts';
import { convertCommand } from './commands/convert.ts';
import { benchCommand } from './commands/bench.ts';
import { bugsCommand } from './commands/bugs.ts';
import { minimizeCommand } from './commands/minimize.ts';
import { presetsCommand, strategiesCommand } from './commands/list.ts';
import { VERSION } from './version.ts';
import { jitOption } from './common.ts';
import { applyJit } from '../host/index.ts';

type Options = Record<string, unknown>;
type Handler = (args: string[], opts: Options) => Promise<number>;

function buildCli(dispatch: (h: Handler, args: string[], opts: Options) => void) {
  const cli = cac('dmasim');
  cli.option('--log-level <level>', 'pino log level on stderr (silent, error, warn, info, debug); env DMASIM_LOG');
  cli.option('--seed <n>', 'seed of every random choice (speculation, eviction pressure, data)');
  cli.option('--jit <mode>', 'V8 inlining: auto (deep for runs of 30+ simulated s and bench host\'s steady state), default, deep');

  cli
    .command('run [scenario]', 'run a built-in scenario (default: camera-audio)')
    .option('--seconds <n>', 'simulated seconds (default 2)')
    .option('--strategy <s>', 'mapping strategy (see `dmasim strategies`)')
    .option('--soc <preset>', 'SoC preset (see `dmasim presets`)')
    .option('--json', 'print one JSON document on stdout')
    .option('--strict', 'exit 1 when violations are found')
    .option('--perfetto <file>', 'write a Perfetto (Chrome trace-event JSON) timeline')
    .option('--record <file>', 'record every DMA-API call, access, interrupt and violation (.jsonl or .msgpack)')
    .option('--no-progress', 'no progress bar on stderr')
    .action((scenario: string | undefined, opts: Options) => dispatch(runCommand, scenario ? [scenario] : [], opts));

  cli
    .command('replay <trace>', 'replay a trace: .msgpack, .jsonl or Linux ftrace text (detected by content)')
    .option('--strategy <s>', 'override the mapping strategy')
    .option('--soc <preset>', 'override the SoC preset')
    .option('--devices <file>', 'JSON device map for ftrace imports: {"name": {"coherent", "dmaMask", "iommu"}}')
    .option('--json', 'print one JSON document on stdout')
    .option('--strict', 'exit 1 when violations are found')
    .option('--perfetto <file>', 'write a Perfetto timeline')
    .option('--costs', 'print the cost of every call')
    .action((trace: string, opts: Options) => dispatch(replayCommand, [trace], opts));

  cli
    .command('convert <in> <out>', 'convert between ftrace text, JSONL and msgpack (output format from the extension)')
    .option('--devices <file>', 'JSON device map for ftrace imports')
    .action((input: string, out: string, opts: Options) => dispatch(convertCommand, [input, out], opts));

  cli
    .command('bugs [name]', 'run the catalog of reproduced real coherency bugs (buggy and fixed variants)')
    .option('--list', 'list the catalog')
    .option('--seeds <n>', 'run each bug under N seeds and report in how many it reproduces')
    .option('--json', 'print one JSON document on stdout')
    .action((name: string | undefined, opts: Options) => dispatch(bugsCommand, name ? [name] : [], opts));

  cli
    .command('minimize <trace>', 'shrink a trace that shows a violation to a minimal one that still shows it')
    .option('-o, --out <file>', 'output trace (default: stdout)')
    .option('--kind <kind>', 'the violation kind to keep (default: the first one found)')
    .action((trace: string, opts: Options) => dispatch(minimizeCommand, [trace], opts));

  cli
    .command('bench <what>', 'benchmarks: strategies | map | latency | host')
    .option('--json', 'print one JSON document on stdout')
    .option('--html <file>', 'write a self-contained HTML report (strategies)')
    .option('--soc <preset>', 'SoC preset')
    .option('--strategy <s>', 'mapping strategy (map)')
    .option('--jobs <n>', 'worker threads for the strategy matrix')
    .option('--quick', 'shorter runs')
    .option('-t <threads>', 'map: threads (1)')
    .option('-s <seconds>', 'map: seconds (20)')
    .option('-n <node>', 'map: NUMA node (-1)')
    .option('-g <granule>', 'map: granule in pages (1)')
    .option('-d <dir>', 'map: direction 0 BIDIRECTIONAL, 1 TO_DEVICE, 2 FROM_DEVICE (0)')
    .option('-b <bits>', 'map: DMA address bits (32)')
    .option('-x <ns>', 'map: transfer delay in ns (0)')
    .option('--iterations <n>', 'map: loops per thread (cap; the kernel runs for -s seconds)')
    .option('--coherency <mode>', 'map: the device\'s coherency: none, acp, ace-lite')
    .allowUnknownOptions()
    .action((what: string, opts: Options) => dispatch(benchCommand, [what], opts));

  cli.command('presets', 'list the SoC presets').option('--json', 'JSON output')
    .action((opts: Options) => dispatch(presetsCommand, [], opts));
  cli.command('strategies', 'list the mapping strategies').option('--json', 'JSON output')
    .action((opts: Options) => dispatch(strategiesCommand, [], opts));

  cli.help();
  cli.version(VERSION);
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  const cli = buildCli((handler, args, opts) => {
    pending = handler(args, opts);
  });
  try {
    const parsed = cli.parse(['node', 'dmasim', ...joinNegativeValues(argv)], { run: false });
    configureLogging(parsed.options['logLevel']);
    // --jit for every command: deep at once when asked for; auto is each command's choice (run: by its
    // length; bench host: its steady-state processes), V8's defaults elsewhere.
    if (jitOption(parsed.options['jit']) === 'deep') applyJit('deep');
    if (parsed.options['help'] || parsed.options['version']) return ExitCode.ok;
    if (!cli.matchedCommand) {
      const name = parsed.args[0];
      if (name === undefined) {
        cli.outputHelp();
        return ExitCode.ok;
      }
      throw new UsageError(`unknown command "${name}"; see dmasim --help`);
    }
    await cli.runMatchedCommand();
    return pending ? await pending : ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  const e = err as Error & { exitCode?: number };
  // cac's own errors (unknown option, missing argument) and ours are bad input: one line, exit 2.
  if (e instanceof UsageError || e?.name === 'CACError' || e?.name === 'TraceFormatError' || e?.exitCode === 2) {
    printError(`dmasim: ${firstLine(e.message)}`);
    return ExitCode.badInput;
  }
  // A file that cannot be opened is bad input too: name it and the reason.
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (errno !== undefined && FILE_ERRORS[errno] !== undefined) {
    const path = (e as NodeJS.ErrnoException).path ?? '';
    printError(`dmasim: ${path}: ${FILE_ERRORS[errno]}`);
    return ExitCode.badInput;
  }
  printError(`dmasim: internal error: ${e?.stack ?? String(err)}`);
  return ExitCode.internal;
}

/** `-n -1` (dma_map_benchmark's node default) would read `-1` as a flag: keep a negative number with its option. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (/^-{1,2}[A-Za-z][\w-]*$/.test(a) && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a path component is not a directory',
};

function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i < 0 ? text : text.slice(0, i);
}

const isEntry = process.argv[1] !== undefined && /dmasim(\.mjs)?$|main\.ts$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      printError(`dmasim: internal error: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = ExitCode.internal;
    },
  );
}
