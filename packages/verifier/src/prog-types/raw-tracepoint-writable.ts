import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`: writable raw tracepoints. */
export function rawTracepointWritableProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
  });
}
