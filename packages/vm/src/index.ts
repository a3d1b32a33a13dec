export * from './interp/index.js';
export * from './wasm/index.js';
export * from './helpers/index.js';
export * from './test-run/index.js';
export * from './contexts/index.js';
