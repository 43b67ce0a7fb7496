// Runs independent, seeded cells either serially in-process or on piscina worker threads. Results come back
// in cell order, so a parallel sweep serialises to the same bytes as the serial one.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { createCompileDir, toFilePath, type CompileDir } from './compile-module.ts';
import { ParallelRunError } from './errors.ts';
import type { WorkerTask } from './worker-task.ts';

export interface RunCellsOptions<C, R> {
  /** Worker threads to use; 1 runs every cell serially in this thread with `fn`. */
  jobs: number;
  /**
   * The module the workers import; it exports the cell function (`exportName`, default `runCell`), which
   * must compute the same thing as `fn`. A `.ts` module is bundled with esbuild first (sources, tests); a
   * `.mjs`/`.js` module (the shipped bundle) is imported as is.
   */
  workerModule: URL | string;
  /** The in-process cell function, used when jobs = 1. */
  fn: (cell: C) => R | Promise<R>;
  /** Name of the function `workerModule` exports. Default `runCell`. */
  exportName?: string;
  /**
   * The piscina worker entry. Default: `bench-worker.mjs` beside the running bundle (dist/), or, when running
   * from TypeScript sources, `worker.ts` compiled on the fly.
   */
  workerEntry?: URL | string;
  /** Called after each finished cell (in completion order), e.g. to drive a progress bar. */
  onCellDone?: (done: number, total: number) => void;
}

const DEFAULT_EXPORT = 'runCell';
/** The bundled worker's file name in dist/; the lead's build.mjs must emit it (see docs/benchmarks.md). */
export const BUNDLED_WORKER_FILE = 'bench-worker.mjs';

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkJobs(jobs: number): void {
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new ParallelRunError(`runCells: jobs must be an integer >= 1, got ${String(jobs)}`);
  }
}

async function runSerially<C, R>(cells: C[], opts: RunCellsOptions<C, R>): Promise<R[]> {
  const results: R[] = [];
  for (let index = 0; index < cells.length; index++) {
    try {
      results.push(await opts.fn(cells[index] as C));
    } catch (error) {
      throw new ParallelRunError(`runCells: cell ${index} failed: ${describeError(error)}`, { cause: error });
    }
    opts.onCellDone?.(index + 1, cells.length);
  }
  return results;
}

const isTypeScript = (path: string): boolean => /\.[cm]?ts$/.test(path);

/** Resolves a module to a file URL a worker can import, compiling TypeScript into `scratch` when needed. */
async function importableUrl(module: URL | string, scratch: () => Promise<CompileDir>): Promise<string> {
  const path = toFilePath(module);
  if (!existsSync(path)) throw new ParallelRunError(`runCells: module ${path} does not exist`);
  return isTypeScript(path) ? (await scratch()).compile(path) : pathToFileURL(path).href;
}

function defaultWorkerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (isTypeScript(here)) return fileURLToPath(new URL('./worker.ts', import.meta.url));
  const bundled = fileURLToPath(new URL(`./${BUNDLED_WORKER_FILE}`, import.meta.url));
  if (!existsSync(bundled)) {
    throw new ParallelRunError(`runCells: the bundled worker ${bundled} is missing; run \`node build.mjs\``);
  }
  return bundled;
}

async function runOnWorkers<C, R>(cells: C[], opts: RunCellsOptions<C, R>): Promise<R[]> {
  let compileDir: CompileDir | undefined;
  const scratch = async (): Promise<CompileDir> => {
    compileDir ??= await createCompileDir(toFilePath(opts.workerModule));
    return compileDir;
  };
  let pool: Piscina<WorkerTask<C>, R> | undefined;
  try {
    const module = await importableUrl(opts.workerModule, scratch);
    const entry = await importableUrl(opts.workerEntry ?? defaultWorkerEntry(), scratch);
    const threads = Math.min(opts.jobs, cells.length);
    pool = new Piscina<WorkerTask<C>, R>({ filename: entry, minThreads: threads, maxThreads: threads });
    const running = pool;
    const exportName = opts.exportName ?? DEFAULT_EXPORT;
    let done = 0;
    // Promise.all keeps the cells' order whatever order the workers finish in.
    return await Promise.all(
      cells.map(async (cell, index) => {
        let result: R;
        try {
          result = await running.run({ module, export: exportName, cell });
        } catch (error) {
          throw new ParallelRunError(`runCells: cell ${index} failed on a worker: ${describeError(error)}`, {
            cause: error,
          });
        }
        opts.onCellDone?.(++done, cells.length);
        return result;
      }),
    );
  } finally {
    await pool?.destroy();
    await compileDir?.dispose();
  }
}

/**
 * Runs `cells` and returns their results in cell order. jobs = 1: serially with `opts.fn` in this thread.
 * jobs > 1: on up to `jobs` worker threads, each importing `opts.workerModule`. Cells must be independent and
 * seeded, and cells and results structured-clone-able, so both modes give identical results.
 */
export async function runCells<C, R>(cells: C[], opts: RunCellsOptions<C, R>): Promise<R[]> {
  checkJobs(opts.jobs);
  if (cells.length === 0) return [];
  return opts.jobs === 1 ? runSerially(cells, opts) : runOnWorkers(cells, opts);
}
