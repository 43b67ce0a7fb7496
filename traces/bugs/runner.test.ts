import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUG_CATALOG } from './catalog.ts';
import { runBugs, runBug, listBugs, formatBugs, catalogDir, loadBugTrace, UnknownBugError } from './runner.ts';

describe('the bug catalog', () => {
  it('has the eight required entries (and more), each with both traces and a cited source in the first comment', () => {
    const names = BUG_CATALOG.map((b) => b.name);
    for (const n of ['speculative-prefetch', 'partial-cacheline', 'dirty-eviction', 'missing-sync-for-cpu', 'mismatched-alias', 'pl310-588369', 'arm64-kmalloc-minalign', 'stale-iotlb']) {
      expect(names).toContain(n);
    }
    for (const b of BUG_CATALOG) {
      for (const v of ['buggy', 'fixed']) {
        expect(existsSync(join(catalogDir(), `${b.name}.${v}.jsonl`))).toBe(true);
        const t = loadBugTrace(b.name, v);
        expect(t.comment.length).toBeGreaterThan(40);
        expect(t.header.soc).toBe(b.preset);
        expect(t.header.strategy).toBe(b.strategy);
      }
    }
  });

  it.each(BUG_CATALOG.map((b) => b.name))('%s: the buggy trace shows its kind and the fixed one nothing', (name) => {
    const [r] = runBugs({ name }).bugs;
    expect(r!.reproduced).toBe(true);
    expect(r!.violation!.kind).toBe(r!.kind);
    expect(r!.violation!.hint.length).toBeGreaterThan(10);
    expect(r!.fixedViolations).toBe(0);
  });

  it('speculative-prefetch depends on the seed: most seeds reproduce it, and the explicit-prefetch variant always does', () => {
    const r = runBug(BUG_CATALOG.find((b) => b.name === 'speculative-prefetch')!, { seeds: 8 });
    expect(r.seeds!.tried).toBe(8);
    expect(r.seeds!.reproduced).toBeGreaterThanOrEqual(5);
    expect(r.deterministic!.reproduced).toBe(true);
    expect(r.fixedViolations).toBe(0);
  });

  it('speculative-prefetch needs the pre-2.6.34 kernel: with the unmap invalidate the same seeds are clean', () => {
    const e = BUG_CATALOG.find((b) => b.name === 'speculative-prefetch')!;
    const r = runBug({ ...e, buggy: e.fixed }, { seeds: 4 });
    expect(r.reproduced).toBe(false);
    expect(r.seeds!.reproduced).toBe(0);
  });

  it('stale-iotlb becomes an iommu-fault under iommu-strict', () => {
    const [r] = runBugs({ name: 'stale-iotlb' }).bugs;
    expect(r!.strict).toEqual({ kind: 'iommu-fault', reproduced: true });
  });

  it('pl310-588369 names the erratum in its hint', () => {
    const [r] = runBugs({ name: 'pl310-588369' }).bugs;
    expect(r!.violation!.hint).toMatch(/588369/);
  });

  it('is deterministic', () => {
    const a = runBugs({ name: 'arm64-kmalloc-minalign' });
    const b = runBugs({ name: 'arm64-kmalloc-minalign' });
    expect(a).toEqual(b);
  });

  it('lists and formats every entry; an unknown name is a clear error', () => {
    expect(listBugs().map((b) => b.name)).toEqual(BUG_CATALOG.map((b) => b.name));
    const text = formatBugs(runBugs({ name: 'mismatched-alias' }));
    expect(text).toMatch(/mismatched-alias/);
    expect(text).toMatch(/fix: /);
    expect(text).toMatch(/dmasim: \[mismatched-alias\]/);
    expect(() => runBugs({ name: 'nope' })).toThrow(UnknownBugError);
  });
});
