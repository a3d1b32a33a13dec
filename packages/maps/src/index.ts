export { createMapTypes } from './create-map-types.js';
export type { MapTypesDeps } from './deps.js';
// Map classes with operations the kernel side needs beyond BpfMap (attach-time storage, stack ids).
export { CgroupStorageMap } from './runtime/cgroup-storage.js';
export { LocalStorageMap } from './runtime/local-storage.js';
export { StackTraceMap } from './runtime/stack-trace.js';
export { RingbufMap } from './runtime/ringbuf.js';
