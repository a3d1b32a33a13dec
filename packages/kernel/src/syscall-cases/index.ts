export { CaseRunner, runSyscallCase, type CaseResult, type MmapCapable, type FailureReason, type Observation, type Observed, type SyscallCase } from './runner.js';
export { hex, unhex } from './ops.js';
export { insn } from './prog-bytes.js';
import { ATTR_CASES } from './attr-cases.js';
import { BATCH_CASES } from './batch-cases.js';
import { BTF_MAP_CASES } from './btf-cases.js';
import { MAP_OP_CASES } from './map-cases.js';
import { MMAP_CASES } from './mmap-cases.js';
import { PROG_CASES } from './prog-cases.js';
import type { SyscallCase } from './runner.js';
import { STRUCT_OPS_CASES } from './struct-ops-cases.js';

export { ATTR_CASES, BATCH_CASES, BTF_MAP_CASES, MAP_OP_CASES, MMAP_CASES, PROG_CASES, STRUCT_OPS_CASES };
export { btfBlob, type BtfMember, type BtfTypeSpec } from './btf.js';
import { LINK_CASES as SINGLE_LINK_CASES } from './link-cases.js';
import { ITER_LINK_CASES } from './iter-link-cases.js';
import { MULTI_LINK_CASES } from './multi-link-cases.js';

/** BPF link cases (their Linux answers live in their own fixture, `link-cases.json`), multi-probe and iterator links included. */
export const LINK_CASES: readonly SyscallCase[] = [...SINGLE_LINK_CASES, ...MULTI_LINK_CASES, ...ITER_LINK_CASES];

/**
 * Every syscall-level case: map operations per map type, bad attrs, fd modes,
 * freeze, batches, info and ids, program test runs, mmap (for kernels that
 * offer it, like `Task` and `LinuxSyscall`), struct_ops maps and programs. Each runs through any
 * `BpfSyscall`; the answers of Linux 6.18 are recorded as fixtures.
 *
 * @example
 * for (const c of SYSCALL_CASES) console.log(c.name, runSyscallCase(sys, c, 2).observations);
 */
export const SYSCALL_CASES: readonly SyscallCase[] = [...MAP_OP_CASES, ...BTF_MAP_CASES, ...ATTR_CASES, ...BATCH_CASES, ...PROG_CASES, ...MMAP_CASES, ...STRUCT_OPS_CASES];
