import { DeviceError } from '../common/bus-port.ts';
import { runCameraAudio } from './camera-audio.ts';
import type { CameraAudioOptions, ScenarioResult } from './camera-audio.ts';

export type ScenarioOptions = CameraAudioOptions;

const SCENARIOS: Readonly<Record<string, { description: string; run: (o: ScenarioOptions) => ScenarioResult }>> = {
  'camera-audio': {
    description: '1080p30 NV12 capture consumed by a CPU task + 48 kHz stereo playback on exynos4412',
    run: runCameraAudio,
  },
};

/** Names of the built-in scenarios (`dmasim run <name>`). */
export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS);
}

export function scenarioDescription(name: string): string {
  return lookup(name).description;
}

/** Runs a built-in scenario by name; throws a DeviceError naming the known scenarios for an unknown one. */
export function runScenario(name: string, opts: ScenarioOptions = {}): ScenarioResult {
  return lookup(name).run(opts);
}

function lookup(name: string) {
  const s = SCENARIOS[name];
  if (!s) throw new DeviceError(`unknown scenario ${JSON.stringify(name)} (known: ${scenarioNames().join(', ')})`);
  return s;
}
