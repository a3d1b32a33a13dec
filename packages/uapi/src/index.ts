export * from './errno.js';
export * from './enums.generated.js';
export * from './enums.js';
export * from './helpers.js';
export * from './capabilities.js';
export * from './flags.js';
export * from './limits.js';
export * from './attr/index.js';
