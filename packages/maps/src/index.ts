export { createMapTypes } from './create-map-types.js';
export type { MapTypesDeps } from './deps.js';
