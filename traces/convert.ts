// Converts between ftrace text, JSONL and msgpack. The output encoding comes from the output file's
// extension; the input's from its content. Streams op by op (ftrace import holds its events in memory).
import { createWriteStream } from 'node:fs';
import { extname } from 'node:path';
import { TraceFormatError } from './errors.ts';
import { JsonlWriter } from './jsonl.ts';
import { MsgpackWriter } from './msgpack.ts';
import { openTrace } from './reader.ts';
import type { OpenTraceOptions } from './reader.ts';
import type { TraceFormat } from './detect.ts';
import type { TraceOp } from './schema.ts';

export type OutputFormat = 'jsonl' | 'msgpack';

export function outputFormatFor(path: string): OutputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.msgpack' || ext === '.mpk' || ext === '.mp') return 'msgpack';
  throw new TraceFormatError(path, `cannot tell the output format from "${ext || '(no extension)'}": use .jsonl or .msgpack`);
}

export interface ConvertResult { from: TraceFormat; to: OutputFormat; ops: number; skipped: number; truncatedAt?: number }

export async function convertTrace(inPath: string, outPath: string, opts: OpenTraceOptions = {}): Promise<ConvertResult> {
  const to = outputFormatFor(outPath);
  const reader = await openTrace(inPath, opts);
  const sink = createWriteStream(outPath);
  const done = new Promise<void>((resolve, reject) => { sink.on('close', resolve); sink.on('error', reject); });
  const writer: { write(op: TraceOp): Promise<void> | undefined; close(): Promise<void>; readonly opsWritten: number } =
    to === 'jsonl' ? new JsonlWriter(sink, reader.header, opts.limits) : new MsgpackWriter(sink, reader.header, opts.limits ? { limits: opts.limits } : {});
  try {
    for await (const op of reader.ops) {
      const p = writer.write(op);
      if (p) await p;
    }
    await writer.close();
    await done;
  } catch (e) {
    sink.destroy();
    throw e;
  }
  const res: ConvertResult = { from: reader.format, to, ops: writer.opsWritten, skipped: reader.skipped };
  if (reader.truncatedAt !== undefined) res.truncatedAt = reader.truncatedAt;
  return res;
}
