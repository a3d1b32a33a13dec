import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_TRACEPOINT`: perf tracepoints. */
export function tracepointProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_TRACEPOINT,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
  });
}
