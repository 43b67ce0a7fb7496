import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

// The command is tested as users run it: the esbuild bundle, spawned, with its stdout, stderr and exit code.
const root = resolve(import.meta.dirname, '../..');
let bin = '';
// Inside the package, as dist/ is: packages resolve (they stay external, as in build.mjs) and the bug
// catalog is found by walking up to package.json.
const cache = join(root, 'node_modules/.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'dmasim-cli-'));

beforeAll(async () => {
  bin = join(dir, 'dmasim.mjs');
  await build({ entryPoints: [join(root, 'emulator/cli/main.ts')], outfile: bin, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
}, 60_000);

function dmasim(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1', DMASIM_LOG: 'silent' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const fixture = (name: string) => join(root, 'traces/fixtures', name);

describe('dmasim command', () => {
  it('lists presets and strategies', () => {
    expect(dmasim('presets').out).toMatch(/^exynos4412 /m);
    const s = JSON.parse(dmasim('strategies', '--json').out) as { strategies: { name: string }[] };
    expect(s.strategies.map((x) => x.name)).toEqual(expect.arrayContaining(['direct', 'coherent', 'wc', 'dmabounce', 'swiotlb', 'iommu-strict', 'iommu-lazy', 'acp', 'ace-lite']));
  });

  it('replay --json prints exactly one JSON document with the contract fields', () => {
    const r = dmasim('replay', fixture('tx-missing-clean.jsonl'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    for (const k of ['trace', 'format', 'soc', 'strategy', 'seed', 'ops', 'skipped', 'simulatedNs', 'hostMs', 'violations', 'stats']) expect(doc).toHaveProperty(k);
    expect((doc['violations'] as { kind: string }[]).map((v) => v.kind)).toContain('stale-device-read');
  });

  it('--strict exits 1 when violations are found, 0 when none', () => {
    expect(dmasim('replay', fixture('tx-missing-clean.jsonl'), '--strict').code).toBe(1);
    expect(dmasim('replay', fixture('tx-rx-correct.jsonl'), '--strict').code).toBe(0);
  });

  it('bad input exits 2 with one line naming where and what was expected', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"dmasim":"trace","version":1}\n{"op":"map_single","dev":"d","buf":"b","offset":0,"size":4096,"dir":"TO_DEV","handle":"h"}\n');
    for (const [args, pattern] of [
      [['replay', bad], /bad\.jsonl:2: .*TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL/],
      [['replay', join(dir, 'missing.jsonl')], /missing\.jsonl: no such file/],
      [['run', '--seconds', 'x'], /--seconds: expected a number/],
      [['run', '--strategy', 'nope'], /--strategy: expected one of/],
      [['run', '--soc', 'exynos9'], /--soc: expected one of/],
      [['run', '--jit', 'fast'], /--jit: expected one of auto, default, deep/],
      [['frobnicate'], /unknown command/],
      [['bench', 'nothing'], /bench: expected one of/],
    ] as const) {
      const r = dmasim(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(pattern);
      expect(r.out).toBe('');
    }
  });

  it('converts JSONL to msgpack and replays it with the same result', () => {
    const out = join(dir, 'x.msgpack');
    expect(dmasim('convert', fixture('tx-rx-correct.jsonl'), out).code).toBe(0);
    const a = JSON.parse(dmasim('replay', fixture('tx-rx-correct.jsonl'), '--json').out) as Record<string, unknown>;
    const b = JSON.parse(dmasim('replay', out, '--json').out) as Record<string, unknown>;
    for (const k of ['ops', 'simulatedNs', 'violations', 'seed']) expect(b[k]).toEqual(a[k]);
  });

  it('run --json on a short window gives the scenario contract', () => {
    const r = dmasim('run', '--seconds', '0.05', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    for (const k of ['scenario', 'soc', 'strategy', 'seed', 'simulatedNs', 'hostMs', 'frames', 'framesDropped', 'framesCorrupt', 'periods', 'xruns', 'violations', 'stats']) expect(doc).toHaveProperty(k);
  });

  it('a short run keeps V8\'s inlining, --jit deep raises it, and the results are the same', () => {
    const plain = JSON.parse(dmasim('run', '--seconds', '0.05', '--json').out) as { hostMs: number; stats: Record<string, unknown> };
    const deep = JSON.parse(dmasim('run', '--seconds', '0.05', '--json', '--jit', 'deep').out) as { hostMs: number; stats: Record<string, unknown> };
    expect(plain.stats['jit']).toBe('default');
    expect(deep.stats['jit']).toBe('deep');
    const simulated = (d: { hostMs: number; stats: Record<string, unknown> }) => JSON.stringify({ ...d, hostMs: 0, stats: { ...d.stats, jit: '', realtimeFactor: 0 } });
    expect(simulated(deep)).toBe(simulated(plain));
  });

  it('bench map prints the kernel tool lines, and accepts its negative node default', () => {
    const r = dmasim('bench', 'map', '-n', '-1', '-g', '4', '-d', '2', '--iterations', '50');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n').filter((l) => !l.startsWith('#'));
    expect(lines[0]).toMatch(/^dma mapping benchmark: threads:1 seconds:20 node:-1 dir:FROM_DEVICE granule: 4$/);
    expect(lines[1]).toMatch(/^average map latency\(us\):\d+\.\d standard deviation:\d+\.\d$/);
    expect(lines[2]).toMatch(/^average unmap latency\(us\):\d+\.\d standard deviation:\d+\.\d$/);
    expect(dmasim('bench', 'map', '-t', '0').code).toBe(2);
  });

  it('run --record writes a trace that replays cleanly, and --perfetto a valid timeline', async () => {
    const rec = join(dir, 'rec.jsonl');
    const pf = join(dir, 'run.json');
    expect(dmasim('run', '--seconds', '0.03', '--record', rec, '--perfetto', pf).code).toBe(0);
    const { validateChromeTrace } = await import('../../traces/perfetto.ts');
    const { readFileSync } = await import('node:fs');
    expect(validateChromeTrace(JSON.parse(readFileSync(pf, 'utf8'))).ok).toBe(true);
    const r = JSON.parse(dmasim('replay', rec, '--json').out) as { ops: number; violations: unknown[] };
    expect(r.ops).toBeGreaterThan(10);
    expect(r.violations).toEqual([]);
  });

  it('bugs --json reproduces every catalog entry with a clean fix', () => {
    const r = dmasim('bugs', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { bugs: { name: string; kind: string; reproduced: boolean; fixedViolations: number }[] };
    expect(doc.bugs.length).toBeGreaterThanOrEqual(8);
    for (const b of doc.bugs) {
      expect(b.reproduced, b.name).toBe(true);
      expect(b.fixedViolations, b.name).toBe(0);
    }
    expect(dmasim('bugs', 'no-such-bug').code).toBe(2);
  });

  it('minimize shrinks a trace and keeps its violation kind', () => {
    const out = join(dir, 'min.jsonl');
    const r = dmasim('minimize', fixture('tx-missing-clean.jsonl'), '-o', out, '--kind', 'stale-device-read');
    expect(r.code).toBe(0);
    const replayed = JSON.parse(dmasim('replay', out, '--json').out) as { ops: number; violations: { kind: string }[] };
    expect(replayed.violations.map((v) => v.kind)).toContain('stale-device-read');
    expect(replayed.ops).toBeLessThanOrEqual(7);
  });
});
