export { createKernel } from './kernel.js';
export type { KernelDeps, BtfLoader, BtfLoadResult, Clock } from './deps.js';
export { createUserMemory } from './memory.js';
