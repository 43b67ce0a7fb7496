// Parses one line of Linux ftrace text output (`trace`/`trace_pipe` or `trace-cmd report`) into the
// event name, timestamp and the key=value fields of the dma:* and swiotlb:swiotlb_bounced tracepoints
// (REFERENCE.md §6).
import { TraceFormatError } from './errors.ts';

/** Events this importer understands, with the TP_printk shape used in error messages. */
export const FTRACE_EVENT_FORMATS: Readonly<Record<string, string>> = {
  dma_map_page: '%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s',
  dma_map_phys: '%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s',
  dma_map_resource: '%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s',
  dma_unmap_page: '%s dir=%s dma_addr=%llx size=%zu attrs=%s',
  dma_unmap_phys: '%s dir=%s dma_addr=%llx size=%zu attrs=%s',
  dma_unmap_resource: '%s dir=%s dma_addr=%llx size=%zu attrs=%s',
  dma_alloc: '%s [dir=%s] dma_addr=%llx size=%zu phys_addr=%llx|virt_addr=%p flags=%s attrs=%s',
  dma_free: '%s [dir=%s] dma_addr=%llx size=%zu phys_addr=%llx|virt_addr=%p attrs=%s',
  dma_alloc_pages: '%s dir=%s dma_addr=%llx size=%zu virt_addr=%p flags=%s attrs=%s',
  dma_free_pages: '%s dir=%s dma_addr=%llx size=%zu virt_addr=%p attrs=%s',
  dma_alloc_sgt: '%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s flags=%s attrs=%s',
  dma_alloc_sgt_err: '%s dir=%s dma_addr=%llx size=%zu virt_addr=%p flags=%s attrs=%s',
  dma_free_sgt: '%s dir=%s dma_addr=%llx size=%zu phys_addrs=%s',
  dma_map_sg: '%s dir=%s [nents=%d/%d ents=%d/%d [TRUNCATED]] dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s',
  dma_map_sg_err: '%s dir=%s dma_addrs=%s err=%d attrs=%s',
  dma_unmap_sg: '%s dir=%s phys_addrs=%s attrs=%s',
  dma_sync_single_for_cpu: '%s dir=%s dma_addr=%llx size=%zu',
  dma_sync_single_for_device: '%s dir=%s dma_addr=%llx size=%zu',
  dma_sync_sg_for_cpu: '%s dir=%s dma_addrs=%s sizes=%s',
  dma_sync_sg_for_device: '%s dir=%s dma_addrs=%s sizes=%s',
  swiotlb_bounced: 'dev_name: %s dma_mask=%llx dev_addr=%llx size=%zu NORMAL|FORCE',
};

export function isKnownFtraceEvent(name: string): boolean {
  return Object.hasOwn(FTRACE_EVENT_FORMATS, name);
}

export interface FtraceEvent {
  lineNo: number;
  event: string;
  dev: string;
  /** Seconds and nanoseconds of the timestamp, kept apart so that long uptimes stay exact. */
  sec: number;
  nsec: number;
  fields: Map<string, string>;
  /** Bare words after the device name (`[TRUNCATED]`, swiotlb's NORMAL/FORCE). */
  words: string[];
}

export type FtraceLine =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'other'; event?: string }
  | { kind: 'event'; ev: FtraceEvent };

// TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: BODY, with an optional TGID column `(  123)`, an optional
// irq-flags column (4 or 5 characters, absent in plain `trace-cmd report`), and padding after EVENT.
const PREFIX = /^\s*(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{1,8})\s+)?(\d{1,12})\.(\d{1,9}):\s+([A-Za-z0-9_:]+):(?:\s+(.*))?$/;

/** Classifies and parses one line. Throws TraceFormatError only for a malformed line of a known event. */
export function parseFtraceLine(text: string, lineNo: number, fileName: string): FtraceLine {
  const s = text.trimEnd();
  if (s.trim().length === 0) return { kind: 'blank' };
  if (/^\s*#/.test(s)) return { kind: 'comment' };
  const m = PREFIX.exec(s);
  if (!m) {
    // A line that names a known event but does not have the ftrace shape is an error, not noise.
    const named = /\b(dma_[a-z_]+|swiotlb_bounced):\s/.exec(s);
    if (named && isKnownFtraceEvent(named[1] as string)) {
      throw new TraceFormatError(`${fileName}:${lineNo}`, `${named[1]}: line does not have the ftrace form "TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: ..."`);
    }
    return { kind: 'other' };
  }
  let event = m[7] as string;
  const colon = event.lastIndexOf(':');
  if (colon >= 0) event = event.slice(colon + 1); // `dma:dma_map_page` → `dma_map_page`
  if (!isKnownFtraceEvent(event)) return { kind: 'other', event };
  const frac = m[6] as string;
  const sec = Number(m[5]);
  const nsec = Number(frac.padEnd(9, '0'));
  const body = (m[8] ?? '').trim();
  const where = `${fileName}:${lineNo}`;
  const tokens = body.length === 0 ? [] : body.split(/\s+/);
  let dev: string | undefined;
  let i = 0;
  if (event === 'swiotlb_bounced') {
    if (tokens[0] !== 'dev_name:') throw malformed(where, event, 'expected "dev_name: " first');
    dev = tokens[1];
    i = 2;
  } else {
    dev = tokens[0];
    i = 1;
  }
  if (dev === undefined || dev.includes('=')) throw malformed(where, event, 'missing the device name');
  const fields = new Map<string, string>();
  const words: string[] = [];
  for (; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    const eq = tok.indexOf('=');
    if (eq <= 0) { words.push(tok); continue; }
    fields.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return { kind: 'event', ev: { lineNo, event, dev, sec, nsec, fields, words } };
}

export function malformed(where: string, event: string, what: string): TraceFormatError {
  return new TraceFormatError(where, `${event}: ${what} (expected "${FTRACE_EVENT_FORMATS[event] ?? '?'}")`);
}

/** The value printed for DMA_MAPPING_ERROR (all ones) and any address beyond 2^53. */
export const ADDR_UNREPRESENTABLE = -1;

/** Parses a %llx (optionally 0x-prefixed) address; returns ADDR_UNREPRESENTABLE beyond 2^53-1. */
export function parseHexAddr(s: string): number {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s;
  if (!/^[0-9a-fA-F]{1,16}$/.test(h)) return Number.NaN;
  if (h.length <= 13) return parseInt(h, 16);
  const big = BigInt(`0x${h}`);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : ADDR_UNREPRESENTABLE;
}

/** Parses `{0x..,0x..}` (the kernel's __print_array); `{}` is an empty array. */
export function parseHexArray(s: string): number[] | undefined {
  if (!s.startsWith('{') || !s.endsWith('}')) return undefined;
  const inner = s.slice(1, -1).trim();
  if (inner.length === 0) return [];
  const out: number[] = [];
  for (const part of inner.split(',')) {
    const v = parseHexAddr(part.trim());
    if (Number.isNaN(v)) return undefined;
    out.push(v);
  }
  return out;
}

/** Bits of a printed DMA mask (ffffffff → 32). */
export function maskBits(hex: string): number | undefined {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{1,16}$/.test(h)) return undefined;
  const bits = BigInt(`0x${h}`).toString(2).length;
  return bits >= 1 && bits <= 64 ? bits : undefined;
}
