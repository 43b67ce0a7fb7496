// stdout carries results only (one JSON document with --json); logs and progress go to stderr.
import { writeSync } from 'node:fs';

export function printJson(doc: unknown): void {
  writeAll(1, JSON.stringify(doc, null, 2) + '\n');
}

export function printText(text: string): void {
  writeAll(1, text.endsWith('\n') ? text : text + '\n');
}

export function printError(text: string): void {
  writeAll(2, text.endsWith('\n') ? text : text + '\n');
}

// Synchronous writes so a following process.exit() cannot cut the output of a pipe short.
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw err;
    }
  }
}
