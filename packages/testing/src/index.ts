export { replayScenarios, harnessCaps, logTail, type ReplayOptions } from './replay/replayer.js';
export type { OracleFile, OracleResult, OracleScenario, OracleStep, ScenarioResult, SpawnSpec, StepResult } from './replay/schema.js';
export { ORACLE_PROGRAMS, minimalBtf } from './replay/programs.js';
export { spawnTask, childInUserns, delegatedBpffs, type SpawnOptions, type DelegateOptions, type DelegatedBpffs } from './builders.js';
export { makeNoopFdTable, makeNoopKernel, makeNoopTask } from './fakes.js';
export {
  replayCorpusCase,
  replayCorpusLoad,
  readCaseFile,
  simulatedReplayTarget,
  CORPUS_KERNEL_OPTIONS,
  logSummary,
  runInputs,
  type CaseFile,
  type CaseFileContext,
  type CorpusLoadResult,
  largestCorpusCases,
  statsCorpusLoad,
  timeCorpusLoad,
  MAX_WARM_LOADS,
  type LargestCorpusCase,
  type CorpusLoadTiming,
  type CorpusLoadTimingOptions,
  type CorpusCase,
  type CorpusMap,
  type CorpusReplayLine,
  type CorpusReplayOptions,
  type CorpusRunLine,
  type FixupKind,
  type ReplayTarget,
  compareLiveLogs,
  normalizeVerifierLog,
  type LiveLogComparison,
} from './verifier-corpus/index.js';
export {
  replayHelperCase,
  helperLogErrorLine,
  type HelperCase,
  type HelperCaseAnswer,
  type HelperCaseMap,
  type RecordedHelperCase,
} from './helper-protos/replay.js';
