// Human formatting shared by the commands.
import type { Violation } from '../../dma/violation.ts';

export function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Violations grouped by kind; the first few of each in full (message and fix). */
export function formatViolations(vs: readonly Violation[], perKind = 3): string {
  if (vs.length === 0) return 'no violations';
  const byKind = new Map<string, Violation[]>();
  for (const v of vs) {
    const list = byKind.get(v.kind) ?? [];
    list.push(v);
    byKind.set(v.kind, list);
  }
  const out = [`${vs.length} violation${vs.length === 1 ? '' : 's'}:`];
  for (const [kind, list] of byKind) {
    out.push(`  ${kind} × ${list.length}`);
    for (const v of list.slice(0, perKind)) {
      out.push(`    op ${v.op} ${v.dev} @0x${v.addr.toString(16)} (${v.size} B): ${v.message}`);
      out.push(`      fix: ${v.hint}`);
    }
    if (list.length > perKind) out.push(`    … ${list.length - perKind} more`);
  }
  return out.join('\n');
}
