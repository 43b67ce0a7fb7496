// Detects a trace's encoding from its first bytes, never from its file name.
import { open } from 'node:fs/promises';
import { looksLikeMsgpackTrace } from './msgpack.ts';

export type TraceFormat = 'msgpack' | 'jsonl' | 'ftrace';

/** msgpack: fixmap whose first key is "dmasim"; JSONL: first non-blank byte `{`; anything else: ftrace text. */
export function detectFormat(head: Uint8Array): TraceFormat {
  if (looksLikeMsgpackTrace(head)) return 'msgpack';
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x7b) return 'jsonl';
  return 'ftrace';
}

export async function detectFileFormat(path: string): Promise<TraceFormat> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return detectFormat(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
