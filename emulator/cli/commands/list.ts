// `dmasim presets` and `dmasim strategies`: what exists, one per line (or JSON).
import { getPreset, presetNames } from '../../../soc/presets/registry.ts';
import { createDmaMachine } from '../../../dma/machine.ts';
import { printJson, printText } from '../output.ts';

export async function presetsCommand(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const presets = presetNames().map((name) => {
    const p = getPreset(name);
    return {
      name,
      description: p.description,
      cores: p.cpu.cores,
      cpuHz: p.cpu.hz,
      l1d: `${p.l1d.sizeBytes / 1024} KiB ${p.l1d.ways}-way ${p.l1d.lineBytes} B`,
      l2: `${p.l2.sizeBytes / 1024} KiB ${p.l2.ways}-way ${p.l2.lineBytes} B (${p.l2.revision})`,
      dram: `${p.dram.size / 2 ** 20} MiB at 0x${p.dram.base.toString(16)}`,
    };
  });
  if (opts['json']) printJson({ presets });
  else printText(presets.map((p) => `${p.name.padEnd(12)} ${p.description}\n${''.padEnd(12)} ${p.cores} cores @ ${p.cpuHz / 1e9} GHz, L1D ${p.l1d}, L2 ${p.l2}, DRAM ${p.dram}`).join('\n'));
  return 0;
}

export async function strategiesCommand(_args: string[], opts: Record<string, unknown>): Promise<number> {
  const sys = createDmaMachine('exynos4412', { checker: false, debug: false }).sys;
  const strategies = sys.strategyNames().map((name) => {
    const s = sys.strategy(name);
    return { name, buffers: s.buffers, description: s.description };
  });
  if (opts['json']) printJson({ strategies });
  else printText(strategies.map((s) => `${s.name.padEnd(13)} ${s.description}`).join('\n'));
  return 0;
}
