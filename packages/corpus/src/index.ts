export * from './locate.js';
export * from './suite.js';
