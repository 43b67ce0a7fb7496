// The dmasim library: `import { createDmaMachine, dma_map_single, replayOps } from 'dmasim'`.
// Each layer's own index lists everything it offers; this one names what a user starts from.
export { Simulator, ClockDomain, Rng, Stats, ns, us, ms, seconds, PS_PER_NS, PS_PER_US, PS_PER_MS, PS_PER_S } from './emulator/kernel/index.ts';
export type { Ps, EventTarget, SimEvent, Process } from './emulator/kernel/index.ts';
export { createSoc, getPreset, presetNames, MemorySystem } from './soc/index.ts';
export type { Soc, SocOptions, Preset, CoherencyMode, MemType } from './soc/index.ts';
export {
  createDmaMachine,
  DmaMachine,
  DmaSystem,
  Device,
  CoherencyChecker,
  DmaDirection,
  DmaAttr,
  DMA_MAPPING_ERROR,
  dma_alloc_attrs,
  dma_alloc_coherent,
  dma_alloc_noncoherent,
  dma_alloc_wc,
  dma_free_attrs,
  dma_free_coherent,
  dma_mmap_attrs,
  dma_get_sgtable,
  dma_map_page,
  dma_map_page_attrs,
  dma_map_resource,
  dma_map_sg,
  dma_map_sg_attrs,
  dma_map_single,
  dma_map_single_attrs,
  dma_mapping_error,
  dma_set_mask,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_unmap_page,
  dma_unmap_resource,
  dma_unmap_sg,
  dma_unmap_single,
} from './dma/index.ts';
export type { DmaMachineOptions, DmaMapOps, CoherentBuffer, ScatterEntry, Violation, ViolationKind } from './dma/index.ts';
export { runScenario, scenarioNames, formatSummary } from './devices/scenarios/index.ts';
export type { ScenarioOptions, ScenarioResult } from './devices/scenarios/index.ts';
export { applyJit, resolveJit, appliedJit, DEEP_INLINING_FLAGS } from './emulator/host/index.ts';
export type { JitMode, JitChoice } from './emulator/host/index.ts';
export {
  Replayer,
  ReplayError,
  replayOps,
  openTrace,
  readTrace,
  convertTrace,
  importFtraceFile,
  JsonlWriter,
  MsgpackWriter,
  PerfettoWriter,
  parseOp,
  parseHeader,
  TraceFormatError,
} from './traces/index.ts';
export type { TraceOp, TraceHeader, ReplayOptions, ReplayResult } from './traces/index.ts';
export { runHostBench } from './bench/host/index.ts';
export { runLatencyBench } from './bench/latency.ts';
