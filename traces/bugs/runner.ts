// Runs the bug catalog: every buggy trace must show its kind, every fixed trace zero violations. The traces
// are data files in traces/bugs/, found from the package root so the bundled CLI (dist/dmasim.mjs) finds them
// as the sources do.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayOps } from '../replay.ts';
import type { ReplayOptions, ReplayResult } from '../replay.ts';
import { parseHeader, parseOp } from '../schema.ts';
import type { TraceHeader, TraceOp } from '../schema.ts';
import { TraceFormatError } from '../errors.ts';
import type { Violation } from '../../dma/violation.ts';
import { BUG_CATALOG, findBug } from './catalog.ts';
import type { BugEntry, BugReplay } from './catalog.ts';

export interface LoadedTrace {
  header: TraceHeader;
  ops: TraceOp[];
  /** The first op's comment: the source and what the trace models. */
  comment: string;
}

export interface BugResult {
  name: string;
  title: string;
  kind: string;
  preset: string;
  strategy: string;
  reproduced: boolean;
  /** Violations of every kind in the fixed variant (all its runs): must be 0. */
  fixedViolations: number;
  seeds?: { tried: number; reproduced: number };
  /** The explicit-prefetch sub-variant (speculative-prefetch). */
  deterministic?: { reproduced: boolean };
  /** stale-iotlb: the buggy trace under iommu-strict. */
  strict?: { kind: string; reproduced: boolean };
  explanation: string;
  fix: string;
  source: string;
  /** The first violation of the entry's kind in the buggy run (null when it did not reproduce). */
  violation: Violation | null;
}

export interface RunBugsOptions {
  /** One entry only. */
  name?: string;
  /** Run the buggy variant with seeds 1..N (and the fixed variant too) and count reproductions. */
  seeds?: number;
  json?: boolean;
}

export interface BugsResult {
  bugs: BugResult[];
}

export class UnknownBugError extends Error {
  constructor(name: string) {
    super(`unknown bug '${name}', expected one of: ${BUG_CATALOG.map((b) => b.name).join(', ')}`);
    this.name = 'UnknownBugError';
  }
}

let cachedDir: string | null = null;

/** traces/bugs/ of the dmasim package: walks up from this module to the package.json named "dmasim". */
export function catalogDir(): string {
  if (cachedDir !== null) return cachedDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'dmasim') {
          cachedDir = join(dir, 'traces', 'bugs');
          return cachedDir;
        }
      } catch {
        // not ours (or unreadable): keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`bug catalog: no package.json named "dmasim" above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Parses a JSONL trace text (header line, then one op per line). */
export function parseTraceText(text: string, name: string): LoadedTrace {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new TraceFormatError(name, 'empty trace (expected a header line)');
  const json = (l: string, i: number): unknown => {
    try {
      return JSON.parse(l);
    } catch {
      throw new TraceFormatError(`${name}:${i + 1}`, 'expected one JSON object per line');
    }
  };
  const header = parseHeader(json(lines[0]!, 0), `${name}:1`);
  const ops = lines.slice(1).map((l, i) => parseOp(json(l, i + 1), `${name}:${i + 2}`));
  return { header, ops, comment: ops[0]?.comment ?? '' };
}

/** One catalog trace: `variant` is 'buggy', 'fixed' or a sub-variant such as 'prefetch'. */
export function loadBugTrace(name: string, variant: string): LoadedTrace {
  const file = `${name}.${variant}.jsonl`;
  return parseTraceText(readFileSync(join(catalogDir(), file), 'utf8'), file);
}

function options(entry: BugEntry, r: BugReplay, seed: number | undefined, name: string): ReplayOptions {
  return { ...r, name, strategy: r.strategy ?? entry.strategy, soc: r.soc ?? entry.preset, ...(seed !== undefined ? { seed } : {}) };
}

function run(entry: BugEntry, t: LoadedTrace, r: BugReplay, seed: number | undefined, name: string): ReplayResult {
  return replayOps(t.header, t.ops, options(entry, r, seed, name));
}

function firstOf(r: ReplayResult, kind: string): Violation | null {
  return r.violations.find((v) => v.kind === kind) ?? null;
}

/** Runs one entry: the buggy trace (per seed), the fixed one, and the entry's extra variants. */
export function runBug(entry: BugEntry, opts: { seeds?: number } = {}): BugResult {
  const buggy = loadBugTrace(entry.name, 'buggy');
  const fixed = loadBugTrace(entry.name, 'fixed');
  const first = run(entry, buggy, entry.buggy, undefined, `${entry.name}.buggy`);
  const violation = firstOf(first, entry.kind);
  let fixedViolations = run(entry, fixed, entry.fixed, undefined, `${entry.name}.fixed`).violations.length;
  const out: BugResult = {
    name: entry.name,
    title: entry.title,
    kind: entry.kind,
    preset: entry.preset,
    strategy: entry.strategy,
    reproduced: violation !== null,
    fixedViolations: 0,
    explanation: entry.explanation,
    fix: entry.fix,
    source: entry.source,
    violation,
  };
  const n = opts.seeds;
  if (n !== undefined && n > 0) {
    let hits = 0;
    for (let seed = 1; seed <= n; seed++) {
      if (firstOf(run(entry, buggy, entry.buggy, seed, `${entry.name}.buggy`), entry.kind) !== null) hits++;
      // The fix must hold for every seed, not only the lucky ones.
      fixedViolations += run(entry, fixed, entry.fixed, seed, `${entry.name}.fixed`).violations.length;
    }
    out.seeds = { tried: n, reproduced: hits };
  }
  if (entry.deterministicVariant !== undefined) {
    const t = loadBugTrace(entry.name, entry.deterministicVariant);
    const r = run(entry, t, { ...entry.buggy, speculation: false }, undefined, `${entry.name}.${entry.deterministicVariant}`);
    out.deterministic = { reproduced: firstOf(r, entry.kind) !== null };
    fixedViolations += run(entry, t, { ...entry.fixed, speculation: false }, undefined, `${entry.name}.${entry.deterministicVariant}`).violations.length;
  }
  if (entry.strictKind !== undefined) {
    const r = run(entry, buggy, { ...entry.buggy, strategy: 'iommu-strict' }, undefined, `${entry.name}.buggy`);
    out.strict = { kind: entry.strictKind, reproduced: firstOf(r, entry.strictKind) !== null };
    fixedViolations += run(entry, fixed, { ...entry.fixed, strategy: 'iommu-strict' }, undefined, `${entry.name}.fixed`).violations.length;
  }
  out.fixedViolations = fixedViolations;
  return out;
}

export function runBugs(opts: RunBugsOptions = {}): BugsResult {
  let entries: readonly BugEntry[] = BUG_CATALOG;
  if (opts.name !== undefined) {
    const e = findBug(opts.name);
    if (e === undefined) throw new UnknownBugError(opts.name);
    entries = [e];
  }
  const seeds = opts.seeds;
  return { bugs: entries.map((e) => runBug(e, seeds !== undefined ? { seeds } : {})) };
}

/** `dmasim bugs --list`: name, kind, preset/strategy and title of every entry. */
export function listBugs(): { name: string; title: string; kind: string; preset: string; strategy: string; source: string }[] {
  return BUG_CATALOG.map((b) => ({ name: b.name, title: b.title, kind: b.kind, preset: b.preset, strategy: b.strategy, source: b.source }));
}

export function formatBugList(): string {
  const rows = listBugs();
  const w = Math.max(...rows.map((r) => r.name.length));
  return rows.map((r) => `${r.name.padEnd(w)}  ${r.kind.padEnd(17)} ${`${r.preset}/${r.strategy}`.padEnd(22)} ${r.title}`).join('\n') + '\n';
}

/** The human listing: per bug one sentence, the fix, and dmasim's own message. */
export function formatBugs(result: BugsResult): string {
  const out: string[] = [];
  for (const b of result.bugs) {
    const ok = b.reproduced && b.fixedViolations === 0;
    out.push(`${ok ? 'ok  ' : 'FAIL'} ${b.name} (${b.kind}; ${b.preset}, ${b.strategy})`);
    out.push(`     ${b.explanation}`);
    out.push(`     fix: ${b.fix}`);
    out.push(`     source: ${b.source}`);
    if (b.violation !== null) out.push(`     dmasim: [${b.violation.kind}] op ${b.violation.op}: ${b.violation.message}`);
    else out.push(`     dmasim: the buggy trace did NOT show ${b.kind}`);
    const extra: string[] = [];
    if (b.seeds !== undefined) extra.push(`reproduced in ${b.seeds.reproduced} of ${b.seeds.tried} seeds`);
    if (b.deterministic !== undefined) extra.push(`explicit-prefetch variant ${b.deterministic.reproduced ? 'reproduces' : 'does NOT reproduce'}`);
    if (b.strict !== undefined) extra.push(`under iommu-strict: ${b.strict.reproduced ? b.strict.kind : `no ${b.strict.kind}`}`);
    extra.push(`fixed variant: ${b.fixedViolations} violation(s)`);
    out.push(`     ${extra.join('; ')}`);
    out.push('');
  }
  const good = result.bugs.filter((b) => b.reproduced && b.fixedViolations === 0).length;
  out.push(`${good} of ${result.bugs.length} bugs reproduced, with clean fixes`);
  return out.join('\n') + '\n';
}
