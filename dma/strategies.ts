// The mapping strategies dmasim compares (`--strategy`, stable names). Each is an ops-table factory plus
// how drivers obtain their buffers under it; the device layer reads `buffers` to decide:
//   direct    streaming mappings with ARMv7 maintenance (arm_dma_ops); coherent allocations non-cacheable
//   coherent  drivers take their buffers from dma_alloc_coherent (uncached) and never sync
//   wc        drivers take their buffers from dma_alloc_wc (write-combine) and never sync
//   dmabounce dmabounce_ops: buffers outside the device's window go through safe buffers
//   swiotlb   dma-direct + swiotlb: streaming mappings bounce through the swiotlb pool (force by default)
//   acp / ace-lite  the device becomes an io-coherent master of that kind: arm_coherent_dma_ops, no maintenance
//   iommu-strict / iommu-lazy  registered by dma/iommu-dma.ts through DmaSystem.registerStrategy
// Devices marked coherent get arm_coherent_dma_ops under direct/coherent/wc, as arm_get_dma_map_ops does.
import { createArmCoherentDmaOps, createArmDmaOps } from './direct.ts';
import { createDmabounceOps } from './dmabounce.ts';
import { createSwiotlbOps } from './swiotlb.ts';
import type { Device } from './device.ts';
import type { DmaEnv } from './env.ts';
import type { CoherencyMode, DmaMapOps } from './types.ts';

export type BufferPolicy = 'streaming' | 'coherent' | 'wc';

export interface DmaStrategy {
  readonly name: string;
  readonly description: string;
  /** How drivers get their buffers under this strategy. */
  readonly buffers: BufferPolicy;
  /** Coherency mode forced on every device (acp / ace-lite); absent keeps the device's own. */
  readonly coherency?: CoherencyMode;
  /** The ops table for devices of this coherency mode (one instance per system, strategy and mode). */
  createOps(env: DmaEnv, coherency: CoherencyMode): DmaMapOps;
  /** Per-device setup when a device joins (dmabounce_register_dev, attaching an IOMMU domain). */
  attach?(ops: DmaMapOps, dev: Device, env: DmaEnv): void;
  /** Per-device teardown when the device is removed. */
  detach?(ops: DmaMapOps, dev: Device, env: DmaEnv): void;
}

const armByCoherency = (env: DmaEnv, coherency: CoherencyMode): DmaMapOps =>
  coherency === 'none' ? createArmDmaOps(env) : createArmCoherentDmaOps(env);

export const BUILTIN_STRATEGIES: readonly DmaStrategy[] = [
  { name: 'direct', description: 'streaming mappings, non-coherent ARMv7 maintenance (arm_dma_ops)', buffers: 'streaming', createOps: armByCoherency },
  { name: 'coherent', description: 'buffers from dma_alloc_coherent (uncached), no syncs', buffers: 'coherent', createOps: armByCoherency },
  { name: 'wc', description: 'buffers from dma_alloc_wc (write-combine), no syncs', buffers: 'wc', createOps: armByCoherency },
  {
    name: 'dmabounce',
    description: 'dmabounce_ops: safe buffers for mappings outside the device window',
    buffers: 'streaming',
    createOps: (env) => createDmabounceOps(env),
    attach: (ops, dev) => (ops as ReturnType<typeof createDmabounceOps>).registerDev(dev),
    detach: (ops, dev) => (ops as ReturnType<typeof createDmabounceOps>).unregisterDev(dev),
  },
  { name: 'swiotlb', description: 'dma-direct + swiotlb bounce buffers (force by default)', buffers: 'streaming', createOps: (env) => createSwiotlbOps(env) },
  { name: 'acp', description: 'io-coherent through the Cortex-A9 ACP (arm_coherent_dma_ops)', buffers: 'streaming', coherency: 'acp', createOps: (env) => createArmCoherentDmaOps(env) },
  { name: 'ace-lite', description: 'io-coherent ACE-Lite master (arm_coherent_dma_ops)', buffers: 'streaming', coherency: 'ace-lite', createOps: (env) => createArmCoherentDmaOps(env) },
];
