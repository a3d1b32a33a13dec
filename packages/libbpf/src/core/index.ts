export { applyCoreRelocations, type ApplyCoreOptions, type CoreRelocation, type CoreReloResult } from './apply.js';
export { type CoreCandidateCache } from './candidates.js';
export { CoreReloKind, coreReloKindName, type CoreReloKindValue } from './kinds.js';
export { CORE_POISON_IMM } from './patch.js';
export { essentialName } from '@bpfkit/btf';
