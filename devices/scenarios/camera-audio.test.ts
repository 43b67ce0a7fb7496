import { describe, it, expect } from 'vitest';
import { availableStrategies, runCameraAudio } from './camera-audio.ts';
import type { CameraAudioOptions } from './camera-audio.ts';
import { runScenario, scenarioNames } from './registry.ts';
import { formatSummary } from './summary.ts';
import { COHERENCY_VIOLATION_KINDS } from '../../dma/index.ts';
import type { HistogramSummary } from '../../emulator/kernel/index.ts';
import { checkerSupported } from './camera-audio.ts';

// The coherency checker needs MemorySystem.attachObserver (landing in soc/cache); run with it once it exists.
const checker = checkerSupported();

// Small frames keep the suite fast; the default 1080p scenario runs in the benchmark.
const small: CameraAudioOptions['camera'] = { width: 320, height: 240, verify: 'full' };
const coherencyKinds = new Set<string>(COHERENCY_VIOLATION_KINDS);

describe('camera-audio scenario', () => {
  for (const strategy of availableStrategies()) {
    it(`delivers every frame and period intact under ${strategy}`, () => {
      const r = runCameraAudio({ seconds: 0.3, strategy, checker, camera: small });
      expect(r.frames).toBeGreaterThanOrEqual(8);
      expect(r.framesDropped).toBe(0);
      expect(r.framesCorrupt).toBe(0);
      expect(r.periods).toBeGreaterThanOrEqual(13);
      expect(r.xruns).toBe(0);
      expect(r.stats['audioWrongWords']).toBe(0);
      expect(r.stats['audioUnderrunWords']).toBe(0);
      expect(r.violations.filter((v) => coherencyKinds.has(v.kind))).toEqual([]);
    });
  }

  it('shows corruption when the driver skips the finish sync and the CPU prefetches speculatively', () => {
    const r = runCameraAudio({ seconds: 0.5, strategy: 'direct', checker, speculation: true, camera: { ...small, skipFinish: true }, audio: { enabled: false } });
    expect(r.framesCorrupt).toBeGreaterThan(0);
    if (checker) expect(r.violations.map((v) => v.kind)).toContain('stale-cpu-read');
    const ok = runCameraAudio({ seconds: 0.5, strategy: 'direct', checker, speculation: true, camera: small, audio: { enabled: false } });
    expect(ok.framesCorrupt).toBe(0);
    expect(ok.violations.filter((v) => v.kind === 'stale-cpu-read')).toEqual([]);
  });

  it('drops frames when the consumer does not requeue its buffers', () => {
    const r = runCameraAudio({ seconds: 0.4, checker, camera: { ...small, noRequeue: true, buffers: 4 }, audio: { enabled: false } });
    expect(r.frames).toBe(4);
    expect(r.framesDropped).toBeGreaterThanOrEqual(7);
  });

  it('underruns when the audio application is starved', () => {
    const r = runCameraAudio({ seconds: 0.5, checker, camera: { enabled: false }, audio: { stall: { atMs: 100, forMs: 120 } } });
    expect(r.xruns).toBeGreaterThan(0);
    expect(r.stats['audioWrongWords']).toBeGreaterThan(0);
  });

  it('camera and audio DMA slow each other down when they share DRAM', () => {
    const mean = (x: unknown) => (x as HistogramSummary).mean;
    const cam: CameraAudioOptions['camera'] = { width: 1920, height: 1080, verify: 'sampled', linesPerGroup: 32 };
    const audioAlone = runCameraAudio({ seconds: 0.15, checker, camera: { enabled: false } });
    const cameraAlone = runCameraAudio({ seconds: 0.15, checker, camera: cam, audio: { enabled: false } });
    const both = runCameraAudio({ seconds: 0.15, checker, camera: cam });
    expect(mean(both.stats['audioBusLatencyPs'])).toBeGreaterThan(mean(audioAlone.stats['audioBusLatencyPs']));
    // 192 KB/s of audio hides behind the camera's own port rate (8 B × 200 MHz bound): never faster together.
    expect(mean(both.stats['cameraBusLatencyPs'])).toBeGreaterThanOrEqual(mean(cameraAlone.stats['cameraBusLatencyPs']));
    expect(both.stats['dramRowMisses'] as number).toBeGreaterThan(cameraAlone.stats['dramRowMisses'] as number);
  });

  it('is deterministic for a seed', () => {
    const strip = (r: ReturnType<typeof runCameraAudio>) => ({ ...r, hostMs: 0, stats: { ...r.stats, realtimeFactor: 0 } });
    const a = runCameraAudio({ seconds: 0.2, seed: 7, checker, camera: small, speculation: true });
    const b = runCameraAudio({ seconds: 0.2, seed: 7, checker, camera: small, speculation: true });
    expect(strip(b)).toEqual(strip(a));
  });

  it('is reachable by name, refuses unknown names, and summarises a run', () => {
    expect(scenarioNames()).toContain('camera-audio');
    expect(() => runScenario('nope')).toThrow(/unknown scenario "nope" \(known: camera-audio\)/);
    const r = runScenario('camera-audio', { seconds: 0.1, checker, camera: small });
    expect(r).toMatchObject({ scenario: 'camera-audio', soc: 'exynos4412', strategy: 'direct', seed: 1, simulatedNs: 100_000_000 });
    const text = formatSummary(r);
    expect(text).toMatch(/frames checked/);
    expect(text).toMatch(/xruns/);
    expect(text).toMatch(/CPU in DMA API/);
    expect(text).toMatch(/simulated in/);
  });

  it('rejects an unknown strategy with the list of known ones', () => {
    expect(() => runCameraAudio({ seconds: 0.1, checker, strategy: 'magic' })).toThrow(/unknown DMA strategy "magic"/);
  });
});
