// `dmasim convert <in> <out>`: ftrace text, JSONL and msgpack (output format from the extension).
import { readFileSync } from 'node:fs';
import { convertTrace, parseDeviceMap } from '../../../traces/index.ts';
import { printError } from '../output.ts';
import { UsageError } from '../errors.ts';
import { pathOption } from '../options.ts';

export async function convertCommand(args: string[], opts: Record<string, unknown>): Promise<number> {
  const [input, output] = args as [string, string];
  if (!/\.(jsonl|msgpack)$/.test(output)) throw new UsageError(`${output}: the output extension must be .jsonl or .msgpack`);
  const devicesPath = pathOption('--devices', opts['devices']);
  const devices = devicesPath !== undefined ? parseDeviceMap(readJson(devicesPath), devicesPath) : undefined;
  const r = await convertTrace(input, output, devices !== undefined ? { ftrace: { devices } } : {});
  printError(`dmasim: converted ${r.ops} operations from ${r.from} to ${r.to}` + (r.skipped ? `, skipped ${r.skipped} unrelated lines` : '') + (r.truncatedAt !== undefined ? `; input truncated at byte ${r.truncatedAt}` : ''));
  return 0;
}

export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: expected JSON (${(err as Error).message})`);
  }
}
