export * from './errno.js';
