import { readdirSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { runCells, ParallelRunError } from './index.ts';
import { runCell, type ToyCell } from './fixtures/toy-cell.ts';

const toyModule = new URL('./fixtures/toy-cell.ts', import.meta.url);
const cacheRoot = fileURLToPath(new URL('../../node_modules/.cache/dmasim-parallel', import.meta.url));

// Decreasing cost, so workers finish out of order and only the ordering logic keeps results in place.
const cells: ToyCell[] = Array.from({ length: 12 }, (_, i) => ({
  label: `cell-${i}`,
  seed: 1000 + i * 7,
  rounds: (12 - i) * 40_000,
}));

describe('runCells', () => {
  it('gives byte-identical results with jobs 1 and jobs 2', async () => {
    const serial = await runCells(cells, { jobs: 1, workerModule: toyModule, fn: runCell });
    const parallel = await runCells(cells, { jobs: 2, workerModule: toyModule, fn: runCell });
    expect(JSON.stringify(parallel)).toBe(JSON.stringify(serial));
    expect(parallel.map((r) => r.label)).toEqual(cells.map((c) => c.label));
    // Different seeds give different hashes: the comparison above is not between constants.
    expect(new Set(serial.map((r) => r.hash)).size).toBe(cells.length);
  });

  it('runs cells on worker threads when jobs > 1', async () => {
    const where = await runCells(cells.slice(0, 3), {
      jobs: 2,
      workerModule: toyModule,
      exportName: 'ranOnMainThread',
      fn: () => true,
    });
    expect(where).toEqual([false, false, false]);
  });

  it('reports progress once per cell', async () => {
    const seen: Array<[number, number]> = [];
    await runCells(cells.slice(0, 4), {
      jobs: 2,
      workerModule: toyModule,
      fn: runCell,
      onCellDone: (done, total) => seen.push([done, total]),
    });
    expect(seen).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
  });

  it('names the failing cell, serially and on workers', async () => {
    const bad: ToyCell[] = [cells[0]!, { label: 'boom', seed: 1, rounds: 1, fail: true }];
    for (const jobs of [1, 2]) {
      const run = runCells(bad, { jobs, workerModule: toyModule, fn: runCell });
      await expect(run).rejects.toThrow(ParallelRunError);
      await expect(runCells(bad, { jobs, workerModule: toyModule, fn: runCell })).rejects.toThrow(
        /cell 1 failed.*toy cell boom was asked to fail/,
      );
    }
  });

  it('rejects a module without the named export', async () => {
    await expect(
      runCells(cells.slice(0, 2), { jobs: 2, workerModule: toyModule, exportName: 'nope', fn: runCell }),
    ).rejects.toThrow(/does not export a function named 'nope'/);
  });

  it('rejects bad jobs and missing modules with a clear message', async () => {
    await expect(runCells(cells, { jobs: 0, workerModule: toyModule, fn: runCell })).rejects.toThrow(
      /jobs must be an integer >= 1, got 0/,
    );
    await expect(runCells(cells, { jobs: 1.5, workerModule: toyModule, fn: runCell })).rejects.toThrow(ParallelRunError);
    await expect(
      runCells(cells, { jobs: 2, workerModule: new URL('./fixtures/absent.ts', import.meta.url), fn: runCell }),
    ).rejects.toThrow(/absent\.ts does not exist/);
  });

  it('returns an empty list for no cells without starting workers', async () => {
    expect(await runCells([], { jobs: 4, workerModule: toyModule, fn: runCell })).toEqual([]);
  });

  it('removes its compiled modules after the run', async () => {
    await runCells(cells.slice(0, 2), { jobs: 2, workerModule: toyModule, fn: runCell });
    const mine = existsSync(cacheRoot) ? readdirSync(cacheRoot).filter((d) => d.startsWith(`${process.pid}-`)) : [];
    expect(mine).toEqual([]);
  });
});

describe('runCells with bundled JavaScript (as from dist/)', () => {
  // Under node_modules so the bundles' external package imports resolve, as they do from dist/.
  let outdir = '';
  beforeAll(() => {
    mkdirSync(cacheRoot, { recursive: true });
    outdir = mkdtempSync(join(cacheRoot, 'bundle-test-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('runs the esbuild bundle of worker.ts against a bundled cell module', async () => {
    // The same esbuild settings the lead's build.mjs uses for dist/bench-worker.mjs.
    const common = { bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'silent' } as const;
    await build({ ...common, entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))], outfile: join(outdir, 'bench-worker.mjs') });
    await build({ ...common, entryPoints: [fileURLToPath(toyModule)], outfile: join(outdir, 'toy-cell.mjs') });
    const serial = await runCells(cells.slice(0, 5), { jobs: 1, workerModule: toyModule, fn: runCell });
    const bundled = await runCells(cells.slice(0, 5), {
      jobs: 2,
      workerModule: pathToFileURL(join(outdir, 'toy-cell.mjs')),
      workerEntry: join(outdir, 'bench-worker.mjs'),
      fn: runCell,
    });
    expect(JSON.stringify(bundled)).toBe(JSON.stringify(serial));
  });
});
