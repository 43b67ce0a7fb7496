// Turns a TypeScript module into JavaScript a bare worker thread can import. Worker threads get neither
// vitest's transform nor a TS loader (Node 20 has no type stripping), so from sources we bundle with esbuild.
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ParallelRunError } from './errors.ts';

/** A scratch directory for compiled modules; remove it once the worker pool is gone. */
export interface CompileDir {
  readonly path: string;
  compile(sourcePath: string): Promise<string>;
  dispose(): Promise<void>;
}

/** Converts a URL, file URL string or path to an absolute file path. */
export function toFilePath(module: URL | string): string {
  if (module instanceof URL) return fileURLToPath(module);
  return module.startsWith('file:') ? fileURLToPath(module) : module;
}

/**
 * The compiled output keeps packages external, so it must live under the node_modules tree the sources
 * resolve packages from: we use <nearest node_modules>/.cache/dmasim-parallel/<unique>/.
 */
function nearestNodeModules(fromPath: string): string {
  let dir = dirname(fromPath);
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ParallelRunError(`parallel: no node_modules folder above ${fromPath} to hold the compiled worker module`);
    }
    dir = parent;
  }
}

export async function createCompileDir(anchorPath: string): Promise<CompileDir> {
  const cacheRoot = join(nearestNodeModules(anchorPath), '.cache', 'dmasim-parallel');
  await mkdir(cacheRoot, { recursive: true });
  const path = await mkdtemp(join(cacheRoot, `${process.pid}-`));
  let counter = 0;
  return {
    path,
    async compile(sourcePath: string): Promise<string> {
      let esbuild: typeof import('esbuild');
      try {
        esbuild = await import('esbuild');
      } catch (error) {
        throw new ParallelRunError(
          `parallel: compiling ${sourcePath} for a worker needs esbuild (a dev dependency); pass a bundled .mjs module instead`,
          { cause: error },
        );
      }
      const outfile = join(path, `${counter++}-${basename(sourcePath).replace(/\.[cm]?ts$/, '')}.mjs`);
      await esbuild.build({
        entryPoints: [sourcePath],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        packages: 'external',
        logLevel: 'silent',
      });
      return pathToFileURL(outfile).href;
    },
    async dispose(): Promise<void> {
      await rm(path, { recursive: true, force: true });
    },
  };
}
