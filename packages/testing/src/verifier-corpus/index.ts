export { replayCorpusCase, replayCorpusLoad, type CorpusLoadResult, logSummary, runInputs, type ReplayTarget, type CaseFileContext, type CorpusReplayOptions } from './replay.js';
export { readCaseFile, simulatedReplayTarget, type CaseFile } from './case-file.js';
export { largestCorpusCases, type LargestCorpusCase } from './largest.js';
export { MAX_WARM_LOADS, statsCorpusLoad, timeCorpusLoad, type CorpusLoadTiming, type CorpusLoadTimingOptions } from './timing.js';
export type { CorpusCase, CorpusMap, CorpusReplayLine, CorpusRunLine, FixupKind } from './schema.js';
export { CORPUS_KERNEL_OPTIONS } from './corpus-kernel.js';
export { compareLiveLogs, normalizeVerifierLog, type LiveLogComparison } from './live-logs.js';
