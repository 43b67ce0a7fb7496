// Camera and audio cells: the devices/scenarios camera-audio scenario with one side switched off.
import { runCameraAudio } from '../../devices/scenarios/camera-audio.ts';
import type { CameraAudioOptions } from '../../devices/scenarios/camera-audio.ts';
import type { RawCounts } from './metrics.ts';
import { isIommuStrategy } from './metrics.ts';
import type { WorkloadId } from './workloads.ts';

const num = (x: unknown): number => (typeof x === 'number' ? x : 0);

function scenarioOptions(workload: WorkloadId): Pick<CameraAudioOptions, 'camera' | 'audio'> {
  switch (workload) {
    case 'camera-1080p':
      return { camera: { width: 1920, height: 1080, format: 'NV12', fps: 30 }, audio: { enabled: false } };
    case 'camera-720p':
      return { camera: { width: 1280, height: 720, format: 'YUYV', fps: 30 }, audio: { enabled: false } };
    case 'audio-playback':
      return { camera: { enabled: false }, audio: { direction: 'playback' } };
    case 'audio-capture':
      return { camera: { enabled: false }, audio: { direction: 'capture' } };
    default:
      throw new RangeError(`bench strategies: ${workload} is not a camera/audio workload`);
  }
}

export function runScenarioWorkload(workload: WorkloadId, strategy: string, soc: string, seed: number, seconds: number): RawCounts {
  const r = runCameraAudio({ seconds, strategy, soc, seed, checker: true, ...scenarioOptions(workload) });
  const s = r.stats;
  const audio = workload.startsWith('audio');
  // The device's payload: the bytes its bus port moved (IOMMU table walks go on the sysmmu-* masters).
  const bytesMoved = audio ? num(s['audioDeviceBytes']) : num(s['cameraDeviceBytes']);
  return {
    dmaCycles: num(s['dmaApiCycles']),
    bytesCleaned: num(s['bytesCleaned']),
    bytesInvalidated: num(s['bytesInvalidated']),
    bytesFlushed: num(s['bytesFlushed']),
    bytesBounced: num(s['bytesBounced']),
    iotlb: isIommuStrategy(strategy) ? { hits: num(s['iotlbHits']), misses: num(s['iotlbMisses']) } : null,
    dramBytes: num(s['dramBytes']),
    deadlineMisses: r.framesDropped + r.framesCorrupt + r.xruns + num(s['audioBadCaptureBlocks']),
    violations: r.violations.length,
    bytesMoved,
  };
}
