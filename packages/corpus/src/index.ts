export * from './locate.js';
export * from './suite.js';
export * from './conformance.js';
export * from './assert.js';
