/**
 * What the main thread posts to a worker: the module to import (a file URL of a JavaScript module), the name
 * of the function it exports, and the cell to pass to it. Everything must survive structured clone.
 */
export interface WorkerTask<C = unknown> {
  module: string;
  export: string;
  cell: C;
}
