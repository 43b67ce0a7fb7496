export { runCameraAudio, availableStrategies, checkerSupported, DEVICE_DEFAULTS } from './camera-audio.ts';
export type { CameraAudioOptions, ScenarioResult } from './camera-audio.ts';
export { runScenario, scenarioNames, scenarioDescription } from './registry.ts';
export type { ScenarioOptions } from './registry.ts';
export { formatSummary } from './summary.ts';
export type { ScenarioObserver, ScenarioInfo } from './observer.ts';
