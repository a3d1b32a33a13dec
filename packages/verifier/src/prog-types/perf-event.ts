import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_PERF_EVENT`: perf event overflow handlers. */
export function perfEventProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_PERF_EVENT,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
  });
}
