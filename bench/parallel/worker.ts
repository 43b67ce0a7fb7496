// Piscina worker entry. Bundled on its own (dist/bench-worker.mjs) so it runs as plain JavaScript in a
// worker thread, where neither vitest nor a TypeScript loader is present. It imports only node built-ins.
import type { WorkerTask } from './worker-task.ts';

type CellFunction = (cell: unknown) => unknown;

// One import per module per worker: the cell function is looked up once and reused for every cell.
const loaded = new Map<string, Promise<CellFunction>>();

function loadCellFunction(module: string, exportName: string): Promise<CellFunction> {
  const key = `${module}#${exportName}`;
  let pending = loaded.get(key);
  if (pending === undefined) {
    pending = import(module).then((namespace: Record<string, unknown>) => {
      const fn = namespace[exportName];
      if (typeof fn !== 'function') {
        throw new TypeError(`bench worker: ${module} does not export a function named '${exportName}'`);
      }
      return fn as CellFunction;
    });
    loaded.set(key, pending);
  }
  return pending;
}

export default async function runTask(task: WorkerTask): Promise<unknown> {
  if (typeof task?.module !== 'string' || typeof task.export !== 'string') {
    throw new TypeError('bench worker: expected a task { module: string, export: string, cell }');
  }
  const fn = await loadCellFunction(task.module, task.export);
  return await fn(task.cell);
}
