export { generateSkeleton, type GenerateSkeletonOptions } from './generate.js';
export type { SkeletonSource } from './source.js';
export { registerGen } from './command.js';
