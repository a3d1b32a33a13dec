export { replayScenariosOnLinux, type LinuxReplayOptions } from './replay.js';
export type { LinuxScenarioResult, LinuxSpawnSpec, LinuxStep, LinuxStepResult } from './schema.js';
