// traces/bugs: the catalog of reproduced real DMA coherency bugs (`dmasim bugs`).
export { BUG_CATALOG, findBug } from './catalog.ts';
export type { BugEntry, BugReplay } from './catalog.ts';
export { runBugs, runBug, listBugs, formatBugs, formatBugList, catalogDir, loadBugTrace, parseTraceText, UnknownBugError } from './runner.ts';
export type { BugResult, BugsResult, RunBugsOptions, LoadedTrace } from './runner.ts';
