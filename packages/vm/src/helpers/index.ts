export { createHelperRegistry, type HelperRegistryOptions } from './registry.js';
export { BPF_MAX_LOOPS } from './loop.js';
export { formatBprintf, MAX_BPRINTF_VARARGS, MAX_TRACE_PRINTK_VARARGS } from './bprintf.js';
export { createTimerTable } from './timer-table.js';
