// The workloads of the strategy matrix: stable ids (CLI, JSON), the label the tables print, and how long
// each runs. Durations are short simulated windows so the 6 × 9 matrix runs in a few minutes on 2 cores;
// `quick` shrinks them further for tests.

export type WorkloadId = 'camera-1080p' | 'camera-720p' | 'audio-playback' | 'audio-capture' | 'nic' | 'block';

export interface WorkloadSpec {
  id: WorkloadId;
  /** The name tables, JSON and the report show. */
  label: string;
  /** What the workload's driver does, one line (docs and `--help`). */
  description: string;
  /** Simulated seconds (scenario workloads) or operation count (NIC packets, block requests). */
  size: number;
  quickSize: number;
  /** True for workloads whose driver takes its buffers from the page cache / user pages only (no coherent variant). */
  pageCacheOnly: boolean;
  /** The device's DMA reaches all of DRAM (so dmabounce has nothing to bounce) unless the workload narrows it. */
  narrowMaskForDmabounce: boolean;
}

export const WORKLOADS: readonly WorkloadSpec[] = [
  {
    id: 'camera-1080p',
    label: 'camera 1080p30 NV12',
    description: 'FIMC capture 1920x1080 NV12 at 30 fps, 4 vb2 buffers (USERPTR under streaming strategies, MMAP coherent/wc otherwise)',
    size: 1,
    quickSize: 0.07,
    pageCacheOnly: false,
    narrowMaskForDmabounce: false,
  },
  {
    id: 'camera-720p',
    label: 'camera 720p30 YUYV',
    description: 'FIMC capture 1280x720 YUYV at 30 fps, 4 vb2 buffers',
    size: 1,
    quickSize: 0.07,
    pageCacheOnly: false,
    narrowMaskForDmabounce: false,
  },
  {
    id: 'audio-playback',
    label: 'audio 48 kHz playback',
    description: 'PL330 cyclic DMA to I2S TX, 48 kHz stereo S16, 4 periods of 1024 frames',
    size: 2,
    quickSize: 0.1,
    pageCacheOnly: false,
    narrowMaskForDmabounce: false,
  },
  {
    id: 'audio-capture',
    label: 'audio 48 kHz capture',
    description: 'PL330 cyclic DMA from I2S RX, 48 kHz stereo S16, 4 periods of 1024 frames',
    size: 2,
    quickSize: 0.1,
    pageCacheOnly: false,
    narrowMaskForDmabounce: false,
  },
  {
    id: 'nic',
    label: 'NIC RX/TX 64-1500 B',
    description: 'RX ring of 64 kmalloc buffers mapped FROM_DEVICE + TX of kmalloc skbs mapped TO_DEVICE, IMIX-like sizes',
    size: 10000,
    quickSize: 200,
    pageCacheOnly: false,
    narrowMaskForDmabounce: true,
  },
  {
    id: 'block',
    label: 'block SG 4-512 KiB',
    description: 'map_sg over scattered page-cache pages, 4-512 KiB requests, 60 % reads (FROM_DEVICE) / 40 % writes',
    size: 400,
    quickSize: 12,
    pageCacheOnly: true,
    narrowMaskForDmabounce: true,
  },
];

/** Strategies in matrix order (the DMA layer's names, as `--strategy` takes them). */
export const MATRIX_STRATEGIES: readonly string[] = [
  'coherent',
  'wc',
  'direct',
  'dmabounce',
  'swiotlb',
  'iommu-strict',
  'iommu-lazy',
  'acp',
  'ace-lite',
];

export function workloadById(id: string): WorkloadSpec {
  const w = WORKLOADS.find((x) => x.id === id || x.label === id);
  if (w === undefined) {
    throw new RangeError(`bench strategies: unknown workload ${JSON.stringify(id)} (known: ${WORKLOADS.map((x) => x.id).join(', ')})`);
  }
  return w;
}

/**
 * The 64 MiB window (bus address 0 = start of DRAM) given to the NIC and block devices under dmabounce, as
 * on the IXP4xx/SA-1111 buses dmabounce was written for; with a 32-bit mask it would bounce nothing.
 */
export const DMABOUNCE_WINDOW_BYTES = 64 << 20;
