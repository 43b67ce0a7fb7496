// Bundles the `dmasim` command and the library entry with esbuild.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  // pino, piscina and playwright-core resolve files at run time: keep them as packages.
  packages: 'external',
};

await build({
  ...common,
  entryPoints: ['emulator/cli/main.ts'],
  outfile: 'dist/dmasim.mjs',
  banner: { js: '#!/usr/bin/env node' },
});
await build({ ...common, entryPoints: ['index.ts'], outfile: 'dist/index.mjs' });
// Worker threads of `bench strategies --jobs N` load these two bundles (bench/parallel).
await build({ ...common, entryPoints: ['bench/parallel/worker.ts'], outfile: 'dist/bench-worker.mjs' });
await build({ ...common, entryPoints: ['bench/strategies/cell.ts'], outfile: 'dist/bench-cells.mjs' });
