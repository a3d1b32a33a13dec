import { GLOBAL_DATA_CASES } from './global-data-cases.js';
import { PROG_ARRAY_CASES } from './prog-array-cases.js';
import { PROG_INFO_CASES } from './prog-info-cases.js';
import type { SyscallCase } from './runner.js';
import { TEST_RUN_CASES } from './test-run-cases.js';
import { TIMER_CASES } from './timer-cases.js';

/** Program test runs, program info, prog arrays and global data, recorded on Linux 6.18. */
export const PROG_CASES: readonly SyscallCase[] = [...TEST_RUN_CASES, ...PROG_INFO_CASES, ...PROG_ARRAY_CASES, ...GLOBAL_DATA_CASES, ...TIMER_CASES];
