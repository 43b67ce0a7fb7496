// What a scenario tells an observer (the trace recorder, the Perfetto timeline) beyond the DMA API calls
// and data moves it hears on its own (DmaSystem.recorder, SocDmaPort.tap): who the machine is, the CPU
// tasks' accesses to DMA buffers, interrupts, and the end of the run.
import type { DmaMachine } from '../../dma/machine.ts';
import type { Device } from '../../dma/index.ts';
import type { DeviceAccessTap } from '../drivers/soc-port.ts';

export interface ScenarioInfo {
  scenario: string;
  soc: string;
  strategy: string;
  seed: number;
}

export interface ScenarioObserver extends DeviceAccessTap {
  /** Once the machine is built, before any device is added (set sys.recorder, sim.tracer here). */
  attach(machine: DmaMachine, info: ScenarioInfo): void;
  /** A CPU task read or wrote `len` bytes at physical `pa` on `core`, taking `durPs` from `startPs`. */
  cpuAccess(core: number, pa: number, len: number, isWrite: boolean, startPs: number, durPs: number): void;
  /** `dev` raised its interrupt; the handler runs on `core` from `startPs` for `durPs` (entry/exit). */
  interrupt(dev: Device, core: number, startPs: number, durPs: number): void;
  /** The run ended at `endPs`. */
  finish(endPs: number): void;
}
