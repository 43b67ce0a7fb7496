import { describe, it, expect } from 'vitest';
import { cellModuleUrl } from './index.ts';

describe('cellModuleUrl', () => {
  it('uses the TypeScript source when the caller runs from sources', () => {
    expect(cellModuleUrl('file:///repo/bench/strategies/matrix.ts', './run-cell.ts', 'bench-cells.mjs').href).toBe(
      'file:///repo/bench/strategies/run-cell.ts',
    );
  });

  it('uses the bundle beside the caller when the caller is bundled', () => {
    expect(cellModuleUrl('file:///repo/dist/dmasim.mjs', './run-cell.ts', 'bench-cells.mjs').href).toBe(
      'file:///repo/dist/bench-cells.mjs',
    );
  });
});
