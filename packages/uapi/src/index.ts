export * from './errno.js';
export * from './enums.generated.js';
export * from './helpers.js';
