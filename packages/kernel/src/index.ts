export { createKernel } from './kernel.js';
export type { KernelDeps, BtfLoader, BtfLoadResult } from './deps.js';
export type { Clock, Random } from '@bpfkit/kernel-api';
export { seededRandom, systemClock } from './env.js';
export { createUserMemory } from './memory.js';
