// The cell module has two homes: its TypeScript source (tests, sources) and its own esbuild bundle beside
// dist/dmasim.mjs (the shipped CLI). The caller's import.meta.url tells which one is running.

/**
 * Picks the module the workers should import. `callerUrl` is the caller's `import.meta.url`: a `.ts` URL
 * means we run from sources, so `sourcePath` (relative to the caller) is used; otherwise the caller is inside
 * the bundle and `bundledFile` is looked up beside it, e.g. dist/bench-cells.mjs.
 */
export function cellModuleUrl(callerUrl: string, sourcePath: string, bundledFile: string): URL {
  const fromSources = /\.[cm]?ts$/.test(new URL(callerUrl).pathname);
  return fromSources ? new URL(sourcePath, callerUrl) : new URL(`./${bundledFile}`, callerUrl);
}
