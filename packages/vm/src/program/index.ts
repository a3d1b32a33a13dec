export * from './limits.js';
export * from './callback.js';
export * from './decode.js';
export * from './subprograms.js';
export * from './tail-calls.js';
