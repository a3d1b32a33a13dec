import type { ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** `BPF_PROG_TYPE_TRACING`: BTF-typed tracing: tp_btf, fentry/fexit (must return 0), fmod_ret, iterators (0 or 1). */
export function tracingProgType(): ProgTypeDescriptor {
  return defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_TRACING,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
    returnRange: (eat) => (eat === 24 || eat === 25 ? { min: 0, max: 0 } : eat === 28 ? { min: 0, max: 1 } : undefined),
  });
}
